/**
 * Where a host's own durable client binding reaches the durable HTTP API when keys are enforced.
 * `df.getClient(context)` calls the binding's `rpcBaseUrl` and cannot send a key, so the host also
 * serves the API under a path only its binding knows: a token derived from the master key, the
 * same in every process of one app (two overlap during a deploy, sharing one port and one keys
 * file), changing when the master key does. It lies outside `/api` and `/runtime/webhooks`, the
 * only prefixes the router's front door forwards.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The path as a Fastify route prefix; the token is the `clientToken` parameter. */
export const durableClientRoutePrefix = '/_host/durabletask/:clientToken';

const tokenPurpose = 'durable-router durable client path v1';

function tokenOf(masterKey: string): string {
  return createHmac('sha256', masterKey).update(tokenPurpose).digest('base64url');
}

/** The path (no trailing slash) under which the binding calls the API. */
export function durableClientPath(masterKey: string): string {
  return durableClientRoutePrefix.replace(':clientToken', tokenOf(masterKey));
}

export function durableClientTokenMatches(masterKey: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  const expected = Buffer.from(tokenOf(masterKey));
  const presented = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
