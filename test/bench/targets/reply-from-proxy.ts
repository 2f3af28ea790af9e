import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { announceListening, exitNormallyOnSigterm, readTargetConfig } from './target-protocol.js';


// The minimal @fastify/reply-from proxy the issue compares against: every route forwarded as is.
const config = readTargetConfig();
exitNormallyOnSigterm();
const app = Fastify({ logger: false, keepAliveTimeout: 75_000 });
// Bodies pass through as streams rather than being parsed and re-serialized.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
await app.register(replyFrom, { base: config.backendUrl, undici: { connections: config.upstreamConnections, pipelining: 1 } });
app.all('/*', (request, reply) => reply.from(request.url));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (typeof address === 'object' && address !== null) announceListening(address.port);
