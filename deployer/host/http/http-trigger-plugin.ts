/**
 * Serves the app's HTTP triggers: every request that no host route claims is matched against the
 * route table and handed to the function as the worker protocol's HTTP data, with the raw body
 * for any content type, or, when the app enabled HTTP streams, forwarded to the worker as it
 * arrives (http-stream-invocation.ts). Keys (`code` query parameter, `x-functions-key` header)
 * reach the function as they came; whether they are checked is the key gate's business
 * (keys/key-gate.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppFunctionInvoker, LoadedFunction } from '../app-loading/function-invoker.js';
import type { RpcTraceContext } from '../app-loading/functions-core-types.js';
import type { HttpRouteTable } from './http-trigger-routes.js';
import { createHttpStreamInvoker } from './http-stream-invocation.js';
import { fromRpcHttpResponse, httpResponseData, toRpcHttpRequest, toRpcHttpStreamMetadata, type HttpResponseParts } from './rpc-http-conversion.js';

/** The Functions host's default request body limit (100 MiB), which FUNCTIONS_REQUEST_BODY_SIZE_LIMIT changes. */
export const defaultRequestBodyLimit = 100 * 1024 * 1024;

export interface HttpTriggerPluginOptions {
  readonly table: HttpRouteTable;
  readonly functions: readonly LoadedFunction[];
  readonly invoker: AppFunctionInvoker;
  readonly logger: Logger;
  /** `https://${WEBSITE_HOSTNAME}`: a request addressed to that host is seen by the function at that origin. */
  readonly publicOrigin?: string;
  /** The largest request body a function is handed, in bytes; a bigger one is answered 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
  /** The worker's HTTP server, when the app enabled HTTP streams. */
  readonly workerHttpUri?: string | undefined;
}

function traceContextOf(request: FastifyRequest): RpcTraceContext | undefined {
  const traceParent = request.headers['traceparent'];
  if (typeof traceParent !== 'string') return undefined;
  const traceState = request.headers['tracestate'];
  return { traceParent, traceState: typeof traceState === 'string' ? traceState : null, attributes: {} };
}

/** A request to the public host name arrived through the platform's HTTPS front: the function sees its public URL. */
function originOf(request: FastifyRequest, publicOrigin: { origin: string; host: string } | undefined): string {
  const host = request.headers.host ?? `${request.socket.localAddress}:${request.socket.localPort}`;
  if (publicOrigin !== undefined && publicOrigin.host === host.toLowerCase()) return publicOrigin.origin;
  return `${request.protocol}://${host}`;
}

function send(reply: FastifyReply, response: HttpResponseParts): FastifyReply {
  reply.code(response.status).headers(response.headers);
  return response.body.length === 0 ? reply.send() : reply.send(response.body);
}

export async function registerHttpTriggers(server: FastifyInstance, options: HttpTriggerPluginOptions): Promise<void> {
  const functionsByName = new Map(options.functions.map((fn) => [fn.name, fn]));
  const publicOrigin = options.publicOrigin === undefined ? undefined : { origin: options.publicOrigin, host: new URL(options.publicOrigin).host };
  const bodyLimit = options.bodyLimit ?? defaultRequestBodyLimit;
  const streams = options.workerHttpUri === undefined
    ? undefined
    : createHttpStreamInvoker({ workerHttpUri: options.workerHttpUri, invoker: options.invoker, logger: options.logger, bodyLimit });
  if (streams !== undefined) server.addHook('onClose', () => streams.close());
  await server.register(async (scope) => {
    // Functions get the body as bytes whatever its type; the library parses it on demand.
    scope.removeAllContentTypeParsers();
    if (streams === undefined) scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
    else scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.all('/*', { bodyLimit }, async (request, reply) => {
      const rawUrl = request.raw.url ?? '/';
      const queryStart = rawUrl.indexOf('?');
      const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
      const match = options.table.match(request.method, rawPath);
      const fn = match && functionsByName.get(match.route.functionName);
      if (!match || !fn) {
        // The Functions host answers its root with a landing page, which health probes rely on.
        if (rawPath === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
          return reply.code(200).type('text/plain; charset=utf-8').send('Your Functions app is up and running (durable-router local host).');
        }
        return reply.code(404).send();
      }

      const origin = originOf(request, publicOrigin);
      const traceContext = traceContextOf(request);
      if (streams !== undefined) {
        const parts = { url: `${origin}${rawUrl}`, headers: request.headers, params: match.params };
        return streams.answer(request, reply, {
          functionName: fn.name,
          invocationId: randomUUID(),
          triggerData: toRpcHttpRequest({ ...parts, method: request.method, body: undefined }),
          triggerMetadata: toRpcHttpStreamMetadata(parts),
          traceContext,
          origin,
        });
      }
      const triggerData = toRpcHttpRequest({
        method: request.method,
        url: `${origin}${rawUrl}`,
        headers: request.headers,
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        params: match.params,
      });
      let response: HttpResponseParts;
      try {
        const result = await options.invoker.invoke(fn.name, { triggerData, ...(traceContext ? { traceContext } : {}) });
        response = fromRpcHttpResponse(httpResponseData(fn.bindings, result));
      } catch (error) {
        options.logger.error({ function: fn.name, err: error }, `Function "${fn.name}" failed`);
        return reply.code(500).send();
      }
      return send(reply, response);
    });
  });
}
