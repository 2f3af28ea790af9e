/**
 * The test setting ROUTER_AZURE_ARM_ENDPOINT: ARM clients pointed at a loopback http:// endpoint (a
 * fake ARM). The SDKs' bearer-token policy refuses plain http, so there it is replaced by one that
 * sends the same `Authorization: Bearer <token>`, to that endpoint only. Nothing else is loopback.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { RouterError } from '../../../shared/errors/router-error.js';

export const publicArmEndpoint = 'https://management.azure.com';
export const armTokenScope = 'https://management.azure.com/.default';
const loopbackHosts = new Set(['127.0.0.1', 'localhost']);
const staticTokenLifetimeMs = 60 * 60 * 1000;

/** Why the value is not a loopback http endpoint with a port and nothing else; undefined when it is. */
export function loopbackArmEndpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  if (url.protocol !== 'http:' || !loopbackHosts.has(url.hostname) || url.port === '' || !bare) {
    return 'must be http://127.0.0.1:PORT or http://localhost:PORT (a test setting: the real ARM endpoint is the default)';
  }
  return undefined;
}

/** The endpoint as the SDK clients take it: origin only. */
export function armEndpointOrigin(value: string): string {
  return new URL(value).origin;
}

/** A credential that gives the configured token (ROUTER_AZURE_ARM_TOKEN), for a fake ARM. */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + staticTokenLifetimeMs }),
  };
}

/** Adds the credential's token to requests for the loopback endpoint, and to nothing else. */
export function loopbackBearerPolicy(credential: TokenCredential, endpointOrigin: string): PipelinePolicy {
  return {
    name: 'loopbackArmBearerPolicy',
    async sendRequest(request, next) {
      if (new URL(request.url).origin === endpointOrigin) {
        const token = await credential.getToken(armTokenScope, { abortSignal: request.abortSignal });
        if (token === null) throw new RouterError('INVALID_CONFIGURATION', `The credential gave no token for the ARM endpoint ${endpointOrigin}.`);
        request.headers.set('Authorization', `Bearer ${token.token}`);
      }
      return next(request);
    },
  };
}
