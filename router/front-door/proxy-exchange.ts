import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import type { AppKeys } from '../../shared/secrets/app-keys.js';
import { pathWithoutQuery } from '../../shared/secrets/loggable-path.js';
import { CappedBody } from '../../shared/http/body-limit.js';
import { isMaskableBody, maskKeysInBody, maskKeysInText, StreamingKeyMask, type AppKeyMask } from './app-key-masking.js';
import type { DurableRequest } from './durable-route.js';
import { writeErrorResponse } from '../../shared/http/error-response.js';
import { lingerThenClose } from '../../shared/http/lingering-close.js';
import type { TrustedProxies } from './trusted-proxies.js';
import {
  downstreamResponseHeaders, upstreamRequestHeaders, type AppResponseFacts, type ClientRequestFacts,
} from './hop-by-hop-headers.js';
import type { InstanceOwnerCache } from './instance-owner-cache.js';
import { failedOnReusedConnection } from './upstream-pools.js';
import type { QueuedRequest, UpstreamQueue } from './upstream-queue.js';
import { mayRetry } from './upstream-retry.js';
import {
  isRewritableJson, maxRewrittenBodyBytes, publicBaseUrl, rewriteJsonBody, rewriteUrlText, type AppUrlPattern,
} from './url-rewriting.js';
import type { InstanceOwner } from './version-resolution.js';

/** Where requests for one version go; compiled once per version-map change. */
export interface UpstreamTarget {
  readonly routeKey: string;
  /** The version's latest full version, sent back as x-routed-version. */
  readonly routedVersion: string;
  readonly owner: InstanceOwner;
  /** Undefined when the app cannot be reached (its URL in the map is unusable). */
  readonly pool: UpstreamQueue | undefined;
  readonly basePath: string;
  readonly appUrl: AppUrlPattern | undefined;
  /** The app's keys, when the router keeps them; the proxy adds the one a request earned. */
  readonly keys: AppKeys | undefined;
  readonly keyMask: AppKeyMask | undefined;
  /**
   * The router keeps apps' keys but has none for this app (yet): it is not called, since whatever it
   * answers (its own URLs carry its keys) could not be masked.
   */
  readonly keysMissing: boolean;
}

/** What every exchange shares with the proxy that created it. */
export interface ExchangeContext {
  readonly publicUrl: string | undefined;
  readonly trustedProxies: TrustedProxies;
  readonly log: FastifyBaseLogger;
  readonly owners: InstanceOwnerCache | undefined;
  readonly isAdminCredential: (authorization: string) => boolean;
  /** How long after its arrival a request may wait for the app's response headers, queueing included (ms). */
  readonly upstreamTimeoutMs: number;
  /** A request found no keys for its app: read them again soon. */
  onKeysMissing(): void;
}

const clientGone = new Error('the client closed the connection');
const timedOut = new Error('the request ran out of time');
const otherRequest: DurableRequest = Object.freeze({ kind: 'other' });
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * One proxied request: copies the client's request to the app with undici's dispatch and
 * streams the app's response back on the raw node response, pausing the app when the client
 * reads slowly. Small JSON responses are held back (at most 64 KiB) so that the app's URLs in
 * them can be rewritten to the router's. The request waits its turn in the app's queue; from its
 * arrival it has `upstreamTimeoutMs` to get the app's response headers, and a client that leaves
 * takes its request out of the queue, or aborts it at the app (freeing its connection).
 */
export class ProxyExchange implements ClientRequestFacts, AppResponseFacts, Dispatcher.DispatchHandler, QueuedRequest {
  appVersion: string | undefined = undefined;
  host: string | undefined = undefined;
  forwardedHost: string | undefined = undefined;
  forwardedProto: string | undefined = undefined;
  hasBody = false;
  requestLength = -1;
  /** Set when a body of undeclared length must be counted on its way to the app. */
  bodyLimit: number | undefined = undefined;
  functionsKey: string | undefined = undefined;
  /** The request target sent to the app: the client's, without its `code` parameters. */
  upstreamUrl: string;
  /** Which of the app's keys the request earned by presenting a router key. */
  appKey: keyof AppKeys | undefined = undefined;
  contentType: string | undefined = undefined;
  contentEncoding: string | undefined = undefined;
  contentLength = -1;
  locationIndex = -1;

  readonly upstreamHeaders: string[];
  #target: UpstreamTarget | undefined = undefined;
  #abort: ((error: Error) => void) | undefined = undefined;
  #resume: (() => void) | undefined = undefined;
  #status = 0;
  #responseHeaders: string[] | undefined = undefined;
  #held: Buffer[] | undefined = undefined;
  #heldBytes = 0;
  /** Set when a streamed body may carry the app's keys: they are replaced on the way. */
  #streamMask: StreamingKeyMask | undefined = undefined;
  #publicBase: string | undefined = undefined;
  #watchingClient = false;
  #finished = false;
  #attempts = 0;
  #responseStarted = false;
  #body: Readable | null | undefined = undefined;
  readonly #arrivedAt = performance.now();
  #sentAt = 0;
  #state: 'new' | 'queued' | 'sent' | 'ended' = 'new';
  #deadline: NodeJS.Timeout | undefined = undefined;
  #timedOut = false;

  /** What the request is about; the proxy sets it once the request is authenticated and classified. */
  request: DurableRequest = otherRequest;

  constructor(
    private readonly context: ExchangeContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    const peer = req.socket.remoteAddress;
    this.upstreamHeaders = upstreamRequestHeaders(req.rawHeaders, peer, 'http', context.isAdminCredential, this, context.trustedProxies.trusts(peer));
    this.upstreamUrl = req.url as string;
  }

  /** Sends the request to the target's app, or answers with the error that replaced it. */
  forward(target: UpstreamTarget | RouterError): void {
    if (target instanceof RouterError) {
      writeErrorResponse(this.res, target);
      return;
    }
    this.#target = target;
    if (target.keysMissing) {
      this.context.onKeysMissing();
      writeErrorResponse(this.res, new RouterError('APP_KEYS_UNAVAILABLE',
        `The router does not hold the keys of the app of version ${target.routeKey} yet, and does not call an app whose answers it cannot mask; retry shortly (if it lasts, the front door and the control plane may not share ROUTER_SECRETS_KEY).`,
        { details: { routeKey: target.routeKey } }), target.routedVersion);
      return;
    }
    if (target.pool === undefined) {
      writeErrorResponse(this.res, new RouterError('UPSTREAM_UNAVAILABLE',
        `The app of version ${target.routeKey} has no usable URL in the version map.`), target.routedVersion);
      return;
    }
    if (this.res.destroyed) return;
    const key = this.appKey === undefined ? undefined : target.keys?.[this.appKey];
    if (key !== undefined) this.upstreamHeaders.push('x-functions-key', key);
    // A compressed answer could not be masked: ask for it uncompressed.
    if (target.keyMask !== undefined) askForIdentityEncoding(this.upstreamHeaders);
    const queue = target.pool;
    this.#state = 'queued';
    if (!queue.enter(this)) {
      this.#state = 'ended';
      writeErrorResponse(this.res, new RouterError('UPSTREAM_SATURATED',
        `The app of version ${target.routeKey} has ${queue.connections} requests in flight and ${queue.maxWaiting} more waiting, as many as the router queues for it; retry shortly.`,
        { details: { routeKey: target.routeKey } }), target.routedVersion);
      return;
    }
    // Sent at once and already failed (the pool refused it).
    if (this.#finished) return;
    this.#deadline = setTimeout(this.#onDeadline, Math.max(0, this.context.upstreamTimeoutMs - (performance.now() - this.#arrivedAt)));
    this.res.on('close', this.#onClientClose);
  }

  /** The app's queue gives this request a connection. */
  send(): void {
    this.#state = 'sent';
    this.#sentAt = performance.now();
    const target = this.#target as UpstreamTarget;
    this.#send(target, (target.pool as UpstreamQueue).dispatcher);
  }

  /** Ends the request's hold on the app's queue, once. */
  #end(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const state = this.#state;
    this.#state = 'ended';
    if (state === 'sent') (this.#target as UpstreamTarget).pool?.done();
    else if (state === 'queued') (this.#target as UpstreamTarget).pool?.withdraw(this);
  }

  readonly #onClientClose = (): void => {
    if (this.#finished || this.#state === 'ended') return;
    if (this.#state === 'queued') {
      this.#end();
      return;
    }
    // Not yet on a connection: onConnect sees the response destroyed and aborts.
    this.#abort?.(clientGone);
  };

  readonly #onDeadline = (): void => {
    this.#deadline = undefined;
    if (this.#responseStarted || this.#state === 'ended') return;
    if (this.#state === 'sent' && this.hasBody && !this.req.readableEnded && !this.req.destroyed) {
      // The client is still sending its body: the app's time starts when it has all of it.
      this.req.once('end', () => {
        if (this.#state === 'sent' && !this.#responseStarted) this.#deadline = setTimeout(this.#onDeadline, this.context.upstreamTimeoutMs);
      });
      return;
    }
    const target = this.#target as UpstreamTarget;
    const error = this.#timeoutError(target);
    this.#timedOut = true;
    this.#held = undefined;
    this.context.log.warn({ routeKey: target.routeKey, method: this.req.method, path: pathWithoutQuery(this.req.url ?? ''), sent: this.#state === 'sent' },
      'the app did not answer in time');
    if (this.#state === 'queued') this.#end();
    writeErrorResponse(this.res, error, target.routedVersion);
    // A request on a connection is aborted there, which frees the connection; one still connecting is aborted by onConnect.
    this.#abort?.(timedOut);
  };

  #timeoutError(target: UpstreamTarget): RouterError {
    const seconds = this.context.upstreamTimeoutMs / 1000;
    if (this.#state === 'queued') {
      return new RouterError('UPSTREAM_TIMEOUT',
        `The app of version ${target.routeKey} did not take the request within ${seconds} s of its arrival: all ${target.pool?.connections ?? 0} connections to it stayed busy, so it was not sent (the app may be hung or overloaded).`,
        { details: { routeKey: target.routeKey, sent: false } });
    }
    const queuedMs = this.#sentAt - this.#arrivedAt;
    const queued = queuedMs >= 1_000 ? ` (${(queuedMs / 1000).toFixed(1)} s of it waiting for a free connection)` : '';
    return new RouterError('UPSTREAM_TIMEOUT',
      `The app of version ${target.routeKey} did not answer within ${seconds} s of the request's arrival${queued}.${this.#startNote()}`,
      { details: { routeKey: target.routeKey, sent: true, ...this.#startDetails() } });
  }

  /** A start the app took may have created its instance even though no answer came. */
  #startNote(): string {
    const request = this.request;
    if (request.kind !== 'start') return '';
    return request.instanceId === undefined
      ? ' It may have started the orchestration all the same; start with an instance id of your own to be able to look it up.'
      : ` It may have started instance "${request.instanceId}" all the same: check its status before starting it again.`;
  }

  #startDetails(): Record<string, string> {
    const request = this.request;
    return request.kind === 'start' && request.instanceId !== undefined ? { instanceId: request.instanceId } : {};
  }

  #send(target: UpstreamTarget, pool: Dispatcher): void {
    this.#attempts++;
    const req = this.req;
    pool.dispatch({
      method: req.method as string,
      path: target.basePath === '' ? this.upstreamUrl : target.basePath + this.upstreamUrl,
      headers: this.upstreamHeaders,
      body: this.#body ??= this.#requestBody(),
    }, this);
  }

  #requestBody(): Readable | null {
    if (!this.hasBody) return null;
    if (this.bodyLimit === undefined) return this.req;
    const capped = new CappedBody(this.bodyLimit, 'a request to an app');
    // The cap's error reaches undici through the body it reads; the client's own failure ends it too.
    this.req.on('error', (error) => capped.destroy(error));
    return this.req.pipe(capped);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    if (this.#timedOut) abort(timedOut);
    else if (this.res.destroyed) abort(clientGone);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (this.#timedOut) {
      this.#abort?.(timedOut);
      return false;
    }
    this.#responseStarted = true;
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (statusCode < 200) return true;
    const res = this.res;
    if (res.destroyed) {
      this.#abort?.(clientGone);
      return false;
    }
    const target = this.#target as UpstreamTarget;
    this.#resume = resume;
    const headers = downstreamResponseHeaders(rawHeaders, target.routedVersion, this);
    if (statusCode < 300) this.#noteOwnership(target);
    const appUrl = target.appUrl;
    const keyMask = target.keyMask;
    if ((appUrl !== undefined || keyMask !== undefined) && (this.locationIndex !== -1 || this.#mayHoldBody(statusCode))) {
      const publicBase = appUrl === undefined ? undefined : publicBaseUrl(this.context.publicUrl, this.host, this.forwardedHost, this.forwardedProto, 'http');
      // Only JSON bodies get their URLs rewritten; any text body gets the app's keys masked.
      this.#publicBase = isRewritableJson(this.contentType, this.contentEncoding) ? publicBase : undefined;
      if (this.locationIndex !== -1) {
        let location = headers[this.locationIndex] as string;
        if (publicBase !== undefined) location = rewriteUrlText(location, appUrl as AppUrlPattern, publicBase);
        if (keyMask !== undefined) location = maskKeysInText(location, keyMask);
        headers[this.locationIndex] = location;
      }
      if (this.#mayHoldBody(statusCode) && (this.#publicBase !== undefined || keyMask !== undefined)) {
        this.#status = statusCode;
        this.#responseHeaders = headers;
        this.#held = [];
        return true;
      }
    }
    this.#maskStream(statusCode, headers);
    res.writeHead(statusCode, headers);
    return true;
  }

  /** A body too big to hold that may carry the app's keys goes through a streaming mask, chunked (its length may change). */
  #maskStream(statusCode: number, headers: string[]): void {
    const keyMask = (this.#target as UpstreamTarget).keyMask;
    if (keyMask === undefined || !this.#hasBody(statusCode) || !isMaskableBody(this.contentType, this.contentEncoding)) return;
    this.#streamMask = new StreamingKeyMask(keyMask);
    removeContentLength(headers);
  }

  onData(chunk: Buffer): boolean {
    const held = this.#held;
    if (held !== undefined) {
      this.#heldBytes += chunk.length;
      if (this.#heldBytes <= maxRewrittenBodyBytes) {
        held.push(chunk);
        return true;
      }
      // Too big to rewrite after all: send what was held back and stream the rest.
      this.#held = undefined;
      const headers = this.#responseHeaders as string[];
      this.#maskStream(this.#status, headers);
      this.res.writeHead(this.#status, headers);
      for (const part of held) this.res.write(this.#streamMask?.push(part) ?? part);
    }
    const out = this.#streamMask?.push(chunk) ?? chunk;
    if (out.length === 0 || this.res.write(out)) return true;
    return this.#waitForClient();
  }

  onComplete(): void {
    this.#finished = true;
    this.#end();
    const held = this.#held;
    if (held === undefined) {
      const rest = this.#streamMask?.end();
      if (rest !== undefined && rest.length > 0) this.res.end(rest);
      else this.res.end();
      return;
    }
    this.#held = undefined;
    const target = this.#target as UpstreamTarget;
    const original = held.length === 1 ? held[0] as Buffer : Buffer.concat(held, this.#heldBytes);
    const publicBase = this.#publicBase;
    const rewritten = publicBase === undefined ? original : rewriteJsonBody(original, target.appUrl as AppUrlPattern, publicBase);
    const body = target.keyMask === undefined ? rewritten : maskKeysInBody(rewritten, target.keyMask);
    const headers = this.#responseHeaders as string[];
    setContentLength(headers, body.length);
    this.res.writeHead(this.#status, headers);
    this.res.end(body);
  }

  onError(error: Error): void {
    const res = this.res;
    const target = this.#target as UpstreamTarget;
    if (error !== clientGone && !this.#timedOut && !res.destroyed && this.#mayRetry(error)) {
      this.context.log.debug({ err: error, routeKey: target.routeKey }, 'the app closed a reused connection before answering; sending the request again');
      this.#abort = undefined;
      this.#send(target, (target.pool as UpstreamQueue).dispatcher);
      return;
    }
    this.#finished = true;
    this.#end();
    this.#held = undefined;
    // Already answered 504 when its time ran out.
    if (this.#timedOut) return;
    if (error === clientGone || res.destroyed) {
      res.destroy();
      return;
    }
    if (isRouterError(error, 'PAYLOAD_TOO_LARGE')) {
      writeErrorResponse(res, error, target.routedVersion);
      lingerThenClose(this.req);
      return;
    }
    if (res.headersSent) {
      this.context.log.debug({ err: error, routeKey: target.routeKey }, 'the app failed while its response was being streamed');
      res.destroy(error);
      return;
    }
    const code = (error as { code?: unknown }).code;
    if (code === 'UND_ERR_INVALID_ARG') {
      writeErrorResponse(res, new RouterError('INVALID_REQUEST', `The request cannot be forwarded: ${error.message}.`));
      return;
    }
    const undiciTimeout = typeof code === 'string' && timeoutCodes.has(code);
    this.context.log.warn({ err: error, routeKey: target.routeKey, method: this.req.method, path: pathWithoutQuery(this.req.url ?? '') },
      undiciTimeout ? 'the app did not answer in time' : 'the app could not be reached');
    writeErrorResponse(res, undiciTimeout
      ? new RouterError('UPSTREAM_TIMEOUT', `The app of version ${target.routeKey} did not answer in time (${describe(code as string)}).${code === 'UND_ERR_CONNECT_TIMEOUT' ? '' : this.#startNote()}`,
        { details: { routeKey: target.routeKey, ...this.#startDetails() } })
      : new RouterError('UPSTREAM_UNAVAILABLE', `The app of version ${target.routeKey} could not be reached: ${error.message}`),
    target.routedVersion);
  }

  #mayRetry(error: Error): boolean {
    const code = (error as { code?: unknown }).code;
    return mayRetry({
      code: typeof code === 'string' ? code : undefined,
      reusedConnection: failedOnReusedConnection(error),
      responseStarted: this.#responseStarted,
      bodyConsumed: this.hasBody && ((this.#body ?? this.req).readableDidRead || this.req.destroyed),
      attempts: this.#attempts,
    });
  }

  /** Small bodies are held whole: JSON to rewrite the app's URLs in, text to mask the app's keys in. */
  #mayHoldBody(statusCode: number): boolean {
    if (this.contentLength > maxRewrittenBodyBytes || !this.#hasBody(statusCode)) return false;
    return isRewritableJson(this.contentType, this.contentEncoding)
      || ((this.#target as UpstreamTarget).keyMask !== undefined && isMaskableBody(this.contentType, this.contentEncoding));
  }

  #hasBody(statusCode: number): boolean {
    return this.contentLength !== 0 && statusCode !== 204 && statusCode !== 304 && this.req.method !== 'HEAD';
  }

  /** What this router just learned about an instance's owner, so the next call need not ask the store. */
  #noteOwnership(target: UpstreamTarget): void {
    const owners = this.context.owners;
    const request = this.request;
    if (owners === undefined) return;
    if (request.kind === 'start' && request.instanceId !== undefined) owners.remember(request.instanceId, target.owner);
    else if (request.kind === 'instance' && request.purge) owners.forget(request.instanceId);
  }

  /** Pauses the app until the client drains; aborts it if the client goes away meanwhile. */
  #waitForClient(): boolean {
    const res = this.res;
    if (res.destroyed) {
      this.#abort?.(clientGone);
      return false;
    }
    if (!this.#watchingClient) {
      this.#watchingClient = true;
      res.on('drain', () => this.#resume?.());
    }
    return false;
  }
}

function askForIdentityEncoding(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if ((headers[i] as string).toLowerCase() === 'accept-encoding') headers.splice(i, 2);
  }
  headers.push('accept-encoding', 'identity');
}

function removeContentLength(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() === 'content-length') {
      headers.splice(i, 2);
      return;
    }
  }
}

function setContentLength(headers: string[], length: number): void {
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() === 'content-length') {
      headers[i + 1] = String(length);
      return;
    }
  }
  headers.push('content-length', String(length));
}

function describe(code: string): string {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connecting timed out';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'no response headers in time';
  return 'the response body stalled';
}
