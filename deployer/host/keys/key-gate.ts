/**
 * Enforces a host's keys on every request, before its route runs, as the Azure Functions host does
 * (see key-requirement.ts for which key opens what):
 * - the durable HTTP API (`/runtime/webhooks/durabletask/*`): the durable extension's system key;
 * - the host's `/admin/*`: the master key, except `/admin/host/ping`, which stays anonymous;
 * - HTTP triggers: what their `authLevel` asks for;
 * - the durable client's path (durable-client-path.ts): its token, else 404 as for no route;
 * - anything else (the landing page, paths no route serves): open.
 * The route Fastify matched decides, not the raw URL, so an encoded or oddly written path cannot
 * slip past. The key comes in the `x-functions-key` header or the `code` query parameter.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RouterError } from '../../../shared/errors/router-error.js';
import { webhookPath } from '../durable/api/status-payload.js';
import type { HttpRouteTable } from '../http/http-trigger-routes.js';
import { durableClientRoutePrefix, durableClientTokenMatches } from './durable-client-path.js';
import type { HostSecrets } from './host-secrets.js';
import { acceptedKeys, keyMatches, missingKeyMessage, type KeyRequirement } from './key-requirement.js';

export interface KeyGateOptions {
  /** The keys in force now (they change when rotated). */
  readonly keys: () => HostSecrets;
  readonly triggers: HttpRouteTable;
}

const keyHeader = 'x-functions-key';
const anonymousAdminRoute = '/admin/host/ping';

/** Register before the routes it guards. */
export function registerKeyGate(server: FastifyInstance, options: KeyGateOptions): void {
  server.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    const secrets = options.keys();
    if (route !== undefined && isUnder(route, durableClientRoutePrefix)) {
      const token = (request.params as Record<string, string | undefined>)['clientToken'];
      if (durableClientTokenMatches(secrets.masterKey, token)) return;
      return reply.code(404).send(new RouterError('NOT_FOUND').toJSON());
    }
    const requirement = requirementOf(request, route, options.triggers);
    if (requirement === 'anonymous' || keyMatches(presentedKey(request), acceptedKeys(secrets, requirement))) return;
    return reply.code(401).send(new RouterError('UNAUTHORIZED', missingKeyMessage(requirement)).toJSON());
  });
}

function requirementOf(request: FastifyRequest, route: string | undefined, triggers: HttpRouteTable): KeyRequirement {
  if (route !== undefined) {
    if (isUnder(route, webhookPath)) return 'durable-task';
    if (route === anonymousAdminRoute) return 'anonymous';
    if (isUnder(route, '/admin')) return 'admin';
  }
  // The HTTP trigger plugin's catch-all route, or none: the function the path names decides.
  const rawUrl = request.raw.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const match = triggers.match(request.method, queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart));
  return match?.route.requirement ?? 'anonymous';
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers[keyHeader];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  const rawUrl = request.raw.url ?? '';
  const queryStart = rawUrl.indexOf('?');
  return queryStart < 0 ? undefined : new URLSearchParams(rawUrl.slice(queryStart + 1)).get('code') ?? undefined;
}

function isUnder(route: string, prefix: string): boolean {
  return route === prefix || route.startsWith(`${prefix}/`);
}
