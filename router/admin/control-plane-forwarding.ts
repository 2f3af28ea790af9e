/**
 * The front door's admin routes that change things: it never provisions or deploys itself, it
 * forwards them to the control plane's API (`/admin/...` → `<control plane>/api/...`), with the
 * control plane's key in place of the admin key, and the request body (JSON or a zip) streamed
 * through untouched. A release's `statusUrl` is rewritten to point at the front door.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Agent, request as send } from 'undici';
import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import type { AdminGate } from '../front-door/admin-gate.js';
import { bodyTooLarge, CappedBody } from '../../shared/http/body-limit.js';
import { publicBaseUrl } from '../front-door/url-rewriting.js';
import type { TrustedProxies } from '../front-door/trusted-proxies.js';

export interface ControlPlaneTarget {
  /** Base URL of the control plane app, e.g. "http://127.0.0.1:7080". */
  readonly url: string;
  /** The control plane's API key. */
  readonly key: string;
  /**
   * How long an operator action (current, drain, decommission, a release's status) may take to be
   * answered before it is answered 504 CONTROL_PLANE_TIMEOUT (ms); default 25 s, inside the CLI's 30 s.
   */
  readonly operationTimeoutMs?: number | undefined;
}

export interface ControlPlaneForwardingOptions {
  readonly controlPlane: ControlPlaneTarget | undefined;
  /** The admin key check (with its rate limit and audit log). */
  readonly adminGate: AdminGate;
  /** How clients reach the router (else taken from each request's Host). */
  readonly publicUrl: string | undefined;
  /** Peers whose X-Forwarded-Host and -Proto are believed. */
  readonly trustedProxies: TrustedProxies;
  /** The largest release upload sent on, in bytes; a bigger one is answered 413 PAYLOAD_TOO_LARGE. */
  readonly maxUploadBytes: number;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly target: (params: Record<string, string>) => string;
  /** Undefined: the control plane target's operationTimeoutMs. */
  readonly timeoutMs: number | undefined;
  readonly withBody: boolean;
}

/** A release with an https package is downloaded before the control plane answers. */
const releaseStartTimeoutMs = 300_000;
export const defaultOperationTimeoutMs = 25_000;
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const forwardedRequestHeaders = ['content-type', 'content-length', 'x-release-version', 'accept'] as const;

const routes: readonly Route[] = [
  { method: 'POST', path: '/admin/releases', target: () => '/api/releases', timeoutMs: releaseStartTimeoutMs, withBody: true },
  { method: 'GET', path: '/admin/releases/:id', target: (p) => `/api/releases/${encodeURIComponent(p['id'] ?? '')}`, timeoutMs: undefined, withBody: false },
  { method: 'POST', path: '/admin/versions/:routeKey/current', target: (p) => `/api/versions/${encodeURIComponent(p['routeKey'] ?? '')}/current`, timeoutMs: undefined, withBody: false },
  { method: 'POST', path: '/admin/versions/:routeKey/drain', target: (p) => `/api/versions/${encodeURIComponent(p['routeKey'] ?? '')}/drain`, timeoutMs: undefined, withBody: false },
  { method: 'DELETE', path: '/admin/versions/:routeKey', target: (p) => `/api/versions/${encodeURIComponent(p['routeKey'] ?? '')}`, timeoutMs: undefined, withBody: false },
];

export function registerControlPlaneForwarding(app: FastifyInstance, options: ControlPlaneForwardingOptions): void {
  const agent = new Agent({ connections: 16 });
  app.addHook('onClose', async () => agent.close());
  void app.register(async (scope) => {
    // Bodies are forwarded as they arrive: no parsing, no buffering (a package can be large).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.addHook('onRequest', options.adminGate.check);
    for (const route of routes) {
      scope.route({
        method: route.method,
        url: route.path,
        bodyLimit: Number.MAX_SAFE_INTEGER,
        handler: (request, reply) => forwardAudited(request, reply, route, options, agent),
      });
    }
  });
}

/** Every change (not the reads) leaves one audit line, whatever its outcome. */
async function forwardAudited(request: FastifyRequest, reply: FastifyReply, route: Route, options: ControlPlaneForwardingOptions, agent: Agent): Promise<unknown> {
  const client = options.adminGate.clientOf(request);
  const trusted = options.trustedProxies.trusts(request.socket.remoteAddress);
  const params = request.params as Record<string, string | undefined>;
  const subject = { ...(params['routeKey'] === undefined ? {} : { routeKey: params['routeKey'] }), ...(params['id'] === undefined ? {} : { releaseId: params['id'] }) };
  try {
    const answer = await forward(request, reply, route, options, agent, trusted);
    if (route.method !== 'GET') {
      const payload = answer.payload as { id?: unknown; error?: { code?: unknown } } | undefined;
      options.adminGate.audit(request, client, {
        status: answer.status,
        outcome: answer.status < 400 ? 'accepted' : 'refused',
        ...subject,
        ...(typeof payload?.id === 'string' ? { releaseId: payload.id } : {}),
        ...(typeof payload?.error?.code === 'string' ? { code: payload.error.code } : {}),
      });
    }
    return answer.sent;
  } catch (error) {
    if (route.method !== 'GET') {
      const failure = error instanceof RouterError ? { status: error.status, code: error.code } : { status: 500, code: 'INTERNAL' };
      options.adminGate.audit(request, client, { ...failure, outcome: 'failed', ...subject });
    }
    throw error;
  }
}

async function forward(
  request: FastifyRequest, reply: FastifyReply, route: Route, options: ControlPlaneForwardingOptions, agent: Agent, trusted: boolean,
): Promise<{ status: number; payload: unknown; sent: unknown }> {
  const controlPlane = options.controlPlane;
  if (controlPlane === undefined) {
    throw new RouterError('CONTROL_PLANE_UNAVAILABLE', 'This front door has no control plane configured, so it cannot release or change versions; routing is not affected.');
  }
  // Read before any await: once the body is consumed the socket may be detached from the request.
  const protocol = (request.raw.socket as TLSSocket | null)?.encrypted === true ? 'https' : 'http';
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
  const target = new URL(`${route.target(request.params as Record<string, string>)}${query}`, controlPlane.url);
  const body = route.withBody && hasBody(request.headers) ? cappedBody(request, options.maxUploadBytes) : undefined;
  const timeoutMs = route.timeoutMs ?? controlPlane.operationTimeoutMs ?? defaultOperationTimeoutMs;
  let response;
  let text: string;
  try {
    response = await send(target, {
      method: route.method,
      headers: forwardedHeaders(request, controlPlane.key),
      body,
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    text = await response.body.text();
  } catch (error) {
    if (isRouterError(error, 'PAYLOAD_TOO_LARGE')) throw error;
    if (timeoutCodes.has(reasonOf(error))) {
      // It took the request: what it did with it is unknown (often it waits on its storage).
      const check = route.method === 'GET' ? 'retry shortly' : 'check GET /admin/versions (or the release\'s status) before retrying';
      throw new RouterError('CONTROL_PLANE_TIMEOUT', `The control plane took ${route.method} ${request.url.split('?', 1)[0] ?? ''} but did not answer within ${timeoutMs / 1000} s (it may be waiting on its storage); the change may or may not have been made: ${check}. Routing is not affected.`, {
        cause: error, details: { timeoutMs },
      });
    }
    throw new RouterError('CONTROL_PLANE_UNAVAILABLE', `The control plane at ${controlPlane.url} could not be reached (${reasonOf(error)}); releases and version changes cannot be made now, routing is not affected.`, {
      cause: error,
    });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new RouterError('CONTROL_PLANE_UNAVAILABLE', `The control plane answered ${route.method} ${target.pathname} with ${response.statusCode} and no JSON; is it the same version as this front door?`);
  }
  if (route.path === '/admin/releases' && response.statusCode === 202) {
    const id = (payload as { id?: unknown }).id;
    const base = publicBaseUrl(
      options.publicUrl, request.headers.host,
      trusted ? header(request.headers, 'x-forwarded-host') : undefined, trusted ? header(request.headers, 'x-forwarded-proto') : undefined, protocol,
    );
    if (typeof id === 'string' && base !== undefined) {
      const statusUrl = `${base}/admin/releases/${encodeURIComponent(id)}`;
      payload = { ...(payload as Record<string, unknown>), statusUrl };
      void reply.header('location', statusUrl);
    }
  }
  const sent = reply.code(response.statusCode).header('content-type', 'application/json; charset=utf-8').send(payload);
  return { status: response.statusCode, payload, sent };
}

/** A declared length over the limit is refused before anything is sent; a chunked body is cut at the limit. */
function cappedBody(request: FastifyRequest, limit: number): Readable {
  const declared = Number(header(request.headers, 'content-length') ?? -1);
  if (declared > limit) throw bodyTooLarge(limit, 'a release upload');
  const payload = request.body as Readable;
  if (declared >= 0) return payload;
  const capped = new CappedBody(limit, 'a release upload');
  payload.on('error', (error) => capped.destroy(error));
  return payload.pipe(capped);
}

function forwardedHeaders(request: FastifyRequest, key: string): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  for (const name of forwardedRequestHeaders) {
    const value = header(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  headers['x-forwarded-for'] = request.ip;
  return headers;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
