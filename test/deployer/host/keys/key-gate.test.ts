import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { loadApp } from '../../../../deployer/host/app-loading/app-loader.js';
import { registerAdminRoutes } from '../../../../deployer/host/http/admin-routes.js';
import { registerHttpTriggers } from '../../../../deployer/host/http/http-trigger-plugin.js';
import { compileHttpTriggerRoutes } from '../../../../deployer/host/http/http-trigger-routes.js';
import { generateHostSecrets, type HostSecrets } from '../../../../deployer/host/keys/host-secrets.js';
import { registerKeyGate } from '../../../../deployer/host/keys/key-gate.js';
import { fixtureApp } from '../fixture-apps.js';

/** The key gate in front of the HTTP fixture app's triggers and the admin routes (inject; the durable API is covered end to end). */
describe('the key gate', () => {
  let server: FastifyInstance;
  let secrets: HostSecrets = generateHostSecrets();
  const functionKey = (): string => secrets.functionKeys['default'] as string;
  const systemKey = (): string => secrets.systemKeys['durabletask_extension'] as string;

  before(async () => {
    process.env['GREETING'] = 'Hello';
    const app = await loadApp({
      appDir: fixtureApp('http-app'),
      hostVersion: '0.0.1-test',
      log: () => undefined,
      durableClientBinding: () => {
        throw new Error('no durable engine in this test');
      },
    });
    const table = compileHttpTriggerRoutes(app.functions, 'api');
    server = Fastify();
    registerKeyGate(server, { keys: () => secrets, triggers: table });
    registerAdminRoutes(server, {
      hostId: 'fixture',
      hostVersion: '0.0.1-test',
      app: { name: app.package.name, version: app.package.version },
      functions: app.functions,
      unsupported: app.unsupported,
      routePrefix: 'api',
      baseUrl: 'http://127.0.0.1:7071',
      startedAt: performance.now(),
    });
    await registerHttpTriggers(server, { table, functions: app.functions, invoker: app.invoker, logger: pino({ level: 'silent' }) });
    await server.ready();
  });
  after(() => server.close());

  const get = (url: string, key?: string): Promise<LightMyRequestResponse> =>
    server.inject({ method: 'GET', url, ...(key === undefined ? {} : { headers: { 'x-functions-key': key } }) });

  function assertRefused(response: LightMyRequestResponse, needs: RegExp): void {
    assert.equal(response.statusCode, 401, response.body);
    const body = response.json() as { error: { code: string; message: string } };
    assert.deepEqual(Object.keys(body), ['error']);
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, needs);
    assert.match(body.error.message, /x-functions-key header or the code query parameter/);
  }

  it('opens a function-level route with a function key or the master key, in the header or as code', async () => {
    assertRefused(await get('/api/query'), /function keys/);
    assertRefused(await get('/api/query', systemKey()), /function keys/);
    assertRefused(await get('/api/query?code=not-a-key-at-all-123'), /function keys/);
    assert.equal((await get('/api/query', functionKey())).statusCode, 200);
    assert.equal((await get('/api/query', secrets.masterKey)).statusCode, 200);
    const byCode = await get(`/api/query?code=${encodeURIComponent(functionKey())}&a=1`);
    assert.equal(byCode.statusCode, 200);
    assert.equal((byCode.json() as { code: string }).code, functionKey(), 'the function still sees the key it was called with');
  });

  it('opens an admin-level route with the master key only', async () => {
    assertRefused(await get('/api/admin-only', functionKey()), /master key/);
    assertRefused(await get('/api/admin-only', systemKey()), /master key/);
    assert.equal((await get('/api/admin-only', secrets.masterKey)).statusCode, 200);
  });

  it('leaves anonymous routes, the landing page and unknown paths open', async () => {
    assert.equal((await get('/api/hello?name=Ada')).body, 'Hello, Ada!');
    assert.equal((await get('/')).statusCode, 200);
    assert.equal((await get('/api/nothing-here')).statusCode, 404);
  });

  it('guards /admin/* with the master key, except the ping', async () => {
    assertRefused(await get('/admin/functions'), /master key/);
    assertRefused(await get('/admin/host/status', functionKey()), /master key/);
    assertRefused(await get('/admin/functions', systemKey()), /master key/);
    assert.equal((await get('/admin/functions', secrets.masterKey)).statusCode, 200);
    assert.equal((await get('/admin/host/ping')).statusCode, 200);
  });

  it('judges the route that is served, however its path is written', async () => {
    assertRefused(await get('/%61dmin/functions'), /master key/);
    assertRefused(await get('/API/Query'), /function keys/);
    assertRefused(await get('/api/%71uery'), /function keys/);
    assertRefused(await get('/api/admin-only/'), /master key/);
  });

  it('applies keys written after it started, and the old ones stop working', async () => {
    const old = functionKey();
    secrets = { ...secrets, functionKeys: { default: 'a-brand-new-function-key-0001' } };
    assertRefused(await get('/api/query', old), /function keys/);
    assert.equal((await get('/api/query', 'a-brand-new-function-key-0001')).statusCode, 200);
  });
});
