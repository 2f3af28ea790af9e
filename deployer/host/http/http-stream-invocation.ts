/**
 * HTTP streams (`app.setup({ enableHttpStream: true })`), as the Functions host runs them: the
 * invocation carries the request's headers and route parameters only; the request itself, body
 * streaming, goes to the worker's own HTTP server (its `HttpUri` capability) tagged with the
 * invocation id, and the function's response comes back on that exchange, streaming too. Neither
 * body is ever held whole by the host, and the body limit is enforced as the bytes pass.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { isRouterError, type RouterError } from '../../../shared/errors/router-error.js';
import { bodyTooLarge, CappedBody } from '../../../shared/http/body-limit.js';
import { closeAfterAnswer } from '../../../shared/http/lingering-close.js';
import type { AppFunctionInvoker } from '../app-loading/function-invoker.js';
import type { RpcTraceContext, RpcTypedData } from '../app-loading/functions-core-types.js';

const invocationIdHeader = 'x-ms-invocation-id';
/**
 * The library writes the whole response before the invocation resolves, so an answer that has not
 * arrived this long after it never will: the function set no response.
 */
const responseAfterInvocationMs = 2_000;
const notForwarded = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'proxy-authorization',
  'x-forwarded-host', 'x-forwarded-proto', invocationIdHeader,
]);
const notReturned = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'trailer', invocationIdHeader]);

export interface StreamedInvocation {
  readonly functionName: string;
  readonly invocationId: string;
  readonly triggerData: RpcTypedData;
  readonly triggerMetadata: Record<string, RpcTypedData>;
  readonly traceContext: RpcTraceContext | undefined;
  /** The origin the function sees its request at (scheme and host). */
  readonly origin: string;
}

export interface HttpStreamInvoker {
  answer(request: FastifyRequest, reply: FastifyReply, invocation: StreamedInvocation): Promise<FastifyReply>;
  close(): Promise<void>;
}

export interface HttpStreamInvokerOptions {
  /** The worker's `HttpUri` capability. */
  readonly workerHttpUri: string;
  readonly invoker: AppFunctionInvoker;
  readonly logger: Logger;
  readonly bodyLimit: number;
}

type Outcome =
  | { readonly kind: 'response'; readonly response: Dispatcher.ResponseData }
  | { readonly kind: 'forwarding failed'; readonly error: unknown }
  | { readonly kind: 'invoked' }
  | { readonly kind: 'invocation failed'; readonly error: unknown };

export function createHttpStreamInvoker(options: HttpStreamInvokerOptions): HttpStreamInvoker {
  const worker = new URL(options.workerHttpUri);
  // The worker's server listens on every interface of this machine; loopback is where it is.
  if (worker.hostname === 'localhost') worker.hostname = '127.0.0.1';
  const agent = new Agent({ connections: 256, headersTimeout: 0, bodyTimeout: 0 });

  async function answer(request: FastifyRequest, reply: FastifyReply, invocation: StreamedInvocation): Promise<FastifyReply> {
    const declared = Number(request.headers['content-length'] ?? -1);
    if (declared > options.bodyLimit) throw bodyTooLarge(options.bodyLimit, 'a request to this app');
    const limit: { breached?: RouterError } = {};
    const payload = request.body as Readable | undefined;
    const body = cappedBody(payload, options.bodyLimit, limit);
    const abort = new AbortController();
    const client = { gone: false };
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      client.gone = true;
      abort.abort(new Error('the client closed the connection'));
    });

    const invoked = options.invoker.invoke(invocation.functionName, {
      invocationId: invocation.invocationId,
      triggerData: invocation.triggerData,
      triggerMetadata: invocation.triggerMetadata,
      ...(invocation.traceContext ? { traceContext: invocation.traceContext } : {}),
    }).then((): Outcome => ({ kind: 'invoked' }), (error: unknown): Outcome => ({ kind: 'invocation failed', error }));
    const forwarded = agent.request({
      origin: worker.origin,
      path: request.raw.url ?? '/',
      method: request.method as Dispatcher.HttpMethod,
      headers: forwardedHeaders(request.headers, invocation),
      body: body ?? null,
      signal: abort.signal,
    }).then((response): Outcome => ({ kind: 'response', response }), (error: unknown): Outcome => ({ kind: 'forwarding failed', error }));

    let outcome = await Promise.race([invoked, forwarded]);
    if (outcome.kind === 'invoked') {
      const waited = await Promise.race([forwarded, delay(responseAfterInvocationMs, undefined, { ref: false })]);
      outcome = waited ?? outcome;
    }
    if (outcome.kind === 'response') {
      if (payload !== undefined && body !== undefined && !request.raw.complete && request.headers['content-length'] === undefined) {
        // The function answered without reading the rest: end the chunked body now. Sending on
        // would have the worker's server close a connection it has unread bytes on (a reset,
        // which can drop the answer on its way back).
        payload.unpipe(body);
        body.end();
      }
      void invoked.then((settled) => {
        if (settled.kind !== 'invocation failed') return;
        // A response already under way is cut off rather than left hanging.
        abort.abort(settled.error);
        if (!client.gone) logFailure(settled.error);
      });
      return relay(request, reply, outcome.response);
    }
    abort.abort(new Error('the invocation ended without a response'));
    if (client.gone) {
      // Its request cut short, the function ends as it reads it: neither is the host's failure.
      options.logger.debug({ function: invocation.functionName }, `The client closed the connection before function "${invocation.functionName}" answered`);
      return reply;
    }
    if (limit.breached !== undefined) throw limit.breached;
    if (outcome.kind === 'invoked') return reply.code(200).send();
    if (outcome.kind === 'invocation failed') logFailure(outcome.error);
    // The worker never got the request (its invocation then waits in vain: nothing more to do for it).
    else options.logger.error({ function: invocation.functionName, err: outcome.error }, `The request to function "${invocation.functionName}" could not be handed to the worker`);
    return reply.code(500).send();

    function logFailure(error: unknown): void {
      options.logger.error({ function: invocation.functionName, err: error }, `Function "${invocation.functionName}" failed`);
    }
  }

  return { answer, close: () => agent.close() };
}

function cappedBody(payload: Readable | undefined, limit: number, state: { breached?: RouterError }): CappedBody | undefined {
  if (payload === undefined) return undefined;
  const capped = new CappedBody(limit, 'a request to this app');
  capped.once('error', (error) => {
    if (isRouterError(error, 'PAYLOAD_TOO_LARGE')) state.breached = error;
  });
  payload.once('error', (error) => capped.destroy(error));
  return payload.pipe(capped);
}

function forwardedHeaders(headers: IncomingHttpHeaders, invocation: StreamedInvocation): Record<string, string | string[]> {
  const forwarded: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !notForwarded.has(name)) forwarded[name] = value;
  }
  const origin = new URL(invocation.origin);
  forwarded[invocationIdHeader] = invocation.invocationId;
  forwarded['x-forwarded-host'] = origin.host;
  forwarded['x-forwarded-proto'] = origin.protocol.slice(0, -1);
  return forwarded;
}

function relay(request: FastifyRequest, reply: FastifyReply, response: Dispatcher.ResponseData): FastifyReply {
  reply.code(response.statusCode);
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && !notReturned.has(name)) void reply.header(name, value);
  }
  if (!request.raw.complete) {
    // The function answered before reading all of the body (a refusal): the rest is not read.
    void reply.header('connection', 'close');
    closeAfterAnswer(request.raw, reply.raw);
  }
  return reply.send(response.body);
}
