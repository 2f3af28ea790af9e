/**
 * The one check in front of every `/admin` route: the admin key (compared in constant time), with
 * failed attempts limited per client address and every refusal written to the audit log; admin
 * changes that pass are audited where they are made (control-plane-forwarding.ts) through it too.
 * Behind a load balancer, list it in ROUTER_TRUSTED_PROXIES: the limit then applies per client,
 * not to the balancer's address.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RouterError } from '../../shared/errors/router-error.js';
import type { AdminKey } from './admin-key.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { clientAddressOf, type TrustedProxies } from './trusted-proxies.js';

export class AdminGate {
  readonly #adminKey: AdminKey;
  readonly #limiter: FailedAuthLimiter;
  readonly #trustedProxies: TrustedProxies;

  constructor(adminKey: AdminKey, limiter: FailedAuthLimiter, trustedProxies: TrustedProxies) {
    this.#adminKey = adminKey;
    this.#limiter = limiter;
    this.#trustedProxies = trustedProxies;
  }

  /** An onRequest hook: refuses (401, or 429 while the client's failures are over the limit) without the admin key. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const client = this.clientOf(request);
    const waitMs = this.#limiter.retryAfterMs(client);
    if (waitMs > 0) {
      this.#auditRefusal(request, client, 'rate-limited');
      void reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new RouterError('TOO_MANY_FAILED_AUTHENTICATIONS');
    }
    if (!this.#adminKey.matchesAuthorization(request.headers.authorization)) {
      this.#limiter.recordFailure(client);
      this.#auditRefusal(request, client, request.headers.authorization === undefined ? 'no-key' : 'wrong-key');
      void reply.header('www-authenticate', 'Bearer');
      throw new RouterError('UNAUTHORIZED');
    }
  };

  /** One audit line for an admin change: who (`client`, from clientOf), what (method and route), the result; never a key. */
  audit(request: FastifyRequest, client: string, result: { readonly status: number; readonly outcome: string } & Record<string, unknown>): void {
    const action = `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`;
    request.log.info({ audit: true, client, action, ...result }, 'admin change');
  }

  #auditRefusal(request: FastifyRequest, client: string, outcome: 'no-key' | 'wrong-key' | 'rate-limited'): void {
    const action = `${request.method} ${request.url.split('?', 1)[0]}`;
    request.log.warn({ audit: true, client, action, status: outcome === 'rate-limited' ? 429 : 401, outcome }, 'admin request refused');
  }

  /** The client's address (through trusted proxies); read it before the request's body is consumed. */
  clientOf(request: FastifyRequest): string {
    const forwardedFor = request.headers['x-forwarded-for'];
    const chain = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    return clientAddressOf(request.socket.remoteAddress, chain, this.#trustedProxies) ?? 'unknown';
  }
}
