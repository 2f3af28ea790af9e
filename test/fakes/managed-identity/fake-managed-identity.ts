/**
 * The managed identity endpoint that Azure Container Apps and App Service give a process
 * (`IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, API version 2019-08-01), on 127.0.0.1. It hands out
 * tokens shaped as Microsoft Entra access tokens (issuer, audience, lifetime; unsigned), which
 * Azurite's "basic" OAuth accepts. Every request is recorded, and one without the secret header,
 * for another API version or without a resource is refused as the real endpoint refuses it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface TokenRequest {
  readonly resource: string | null;
  readonly clientId: string | null;
  readonly status: number;
}

export interface FakeManagedIdentity {
  /** The environment a container gets: IDENTITY_ENDPOINT and IDENTITY_HEADER. */
  readonly environment: Readonly<Record<'IDENTITY_ENDPOINT' | 'IDENTITY_HEADER', string>>;
  readonly requests: readonly TokenRequest[];
  stop(): Promise<void>;
}

const apiVersion = '2019-08-01';
const tokenLifetimeSeconds = 3_600;

export async function startFakeManagedIdentity(options: { readonly tenantId?: string; readonly clientId?: string } = {}): Promise<FakeManagedIdentity> {
  const tenantId = options.tenantId ?? randomUUID();
  const identityClientId = options.clientId ?? randomUUID();
  const secret = randomBytes(16).toString('hex');
  const requests: TokenRequest[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource');
    const clientId = url.searchParams.get('client_id');
    const answer = (status: number, body: Record<string, unknown>): void => {
      requests.push({ resource, clientId, status });
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== '/msi/token') return answer(404, { error: 'not_found' });
    if (request.headers['x-identity-header'] !== secret) return answer(401, { error: 'unauthorized', error_description: 'X-IDENTITY-HEADER is missing or wrong.' });
    if (url.searchParams.get('api-version') !== apiVersion) return answer(400, { error: 'invalid_request', error_description: `api-version must be ${apiVersion}.` });
    if (resource === null || resource === '') return answer(400, { error: 'invalid_request', error_description: 'resource is required.' });
    if (clientId !== null && clientId !== identityClientId) return answer(400, { error: 'invalid_request', error_description: 'No identity with that client_id is assigned.' });
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + tokenLifetimeSeconds;
    return answer(200, {
      access_token: unsignedJwt({ aud: resource, iss: `https://sts.windows.net/${tenantId}/`, iat: now, nbf: now - 60, exp: expiresOn, oid: identityClientId, tid: tenantId }),
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: identityClientId,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    environment: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret },
    requests,
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${Buffer.from('not-signed').toString('base64url')}`;
}
