import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadApp } from '../../../../deployer/host/app-loading/app-loader.js';
import { registerAdminRoutes } from '../../../../deployer/host/http/admin-routes.js';
import { registerHttpTriggers } from '../../../../deployer/host/http/http-trigger-plugin.js';
import { compileHttpTriggerRoutes } from '../../../../deployer/host/http/http-trigger-routes.js';
import { fixtureApp } from '../fixture-apps.js';

/** The HTTP fixture app behind the host's HTTP trigger plugin, exercised with inject (no durable engine). */
describe('HTTP triggers', () => {
  let server: FastifyInstance;

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
    server = Fastify();
    const logger = pino({ level: 'silent' });
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
    await registerHttpTriggers(server, {
      table: compileHttpTriggerRoutes(app.functions, 'api'),
      functions: app.functions,
      invoker: app.invoker,
      logger,
    });
    await server.ready();
  });
  after(() => server.close());

  it('answers GET and POST on the default route (the function name)', async () => {
    const get = await server.inject({ method: 'GET', url: '/api/hello?name=Ada' });
    assert.equal(get.statusCode, 200);
    assert.equal(get.body, 'Hello, Ada!');
    assert.match(String(get.headers['content-type']), /^text\/plain/);
    const post = await server.inject({ method: 'POST', url: '/api/Hello', payload: 'Grace', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.body, 'Hello, Grace!');
  });

  it('answers 404 for another method or an unknown path', async () => {
    assert.equal((await server.inject({ method: 'PUT', url: '/api/hello' })).statusCode, 404);
    assert.equal((await server.inject({ method: 'GET', url: '/api/nothing-here' })).statusCode, 404);
    assert.equal((await server.inject({ method: 'GET', url: '/hello' })).statusCode, 404);
    assert.equal((await server.inject({ method: 'GET', url: '/' })).statusCode, 200, 'the landing page, as the Functions host has');
    assert.equal((await server.inject({ method: 'POST', url: '/' })).statusCode, 404);
  });

  it('binds route parameters, constraints and catch-alls, most specific route first', async () => {
    assert.deepEqual((await server.inject('/api/items/42/a/b%20c')).json(), { id: '42', rest: 'a/b c', matched: 'item' });
    assert.deepEqual((await server.inject('/api/items/42')).json(), { id: '42', rest: null, matched: 'item' });
    assert.deepEqual((await server.inject('/api/items/widget')).json(), { name: 'widget', matched: 'itemByName' });
    assert.deepEqual((await server.inject('/api/files/notes.tar.gz')).json(), { name: 'notes.tar', ext: 'gz' });
    assert.deepEqual((await server.inject('/api/files/README')).json(), { name: 'README', ext: null });
    assert.deepEqual((await server.inject('/api/reports/2024/07')).json(), { year: '2024', month: '07' });
    assert.deepEqual((await server.inject('/api/reports/2024')).json(), { year: '2024', month: null });
    assert.equal((await server.inject('/api/reports/1999')).statusCode, 404);
  });

  it('passes binary bodies through unchanged, whatever the content type', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const contentType of ['application/octet-stream', 'image/png', 'application/json', undefined]) {
      const response = await server.inject({
        method: 'POST',
        url: '/api/echo/raw',
        payload: bytes,
        headers: contentType ? { 'content-type': contentType } : {},
      });
      assert.equal(response.statusCode, 201, String(contentType));
      assert.deepEqual(response.rawPayload, bytes, String(contentType));
      assert.equal(response.headers['x-echo-length'], '256');
      assert.equal(response.headers['x-echo-kind'], 'raw');
      assert.equal(response.headers['content-type'], contentType ?? 'application/octet-stream');
    }
  });

  it('honours the methods a function lists', async () => {
    assert.deepEqual((await server.inject({ method: 'PUT', url: '/api/things' })).json(), { method: 'PUT' });
    assert.deepEqual((await server.inject({ method: 'DELETE', url: '/api/things' })).json(), { method: 'DELETE' });
    assert.equal((await server.inject({ method: 'GET', url: '/api/things' })).statusCode, 404);
  });

  it('accepts function keys in the code query parameter and the x-functions-key header without checking them', async () => {
    const response = await server.inject({ method: 'GET', url: '/api/query?a=1&a=2&code=some-key', headers: { 'x-functions-key': 'another-key', host: 'example.test:8080' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      all: ['1', '2'],
      code: 'some-key',
      key: 'another-key',
      url: 'http://example.test:8080/api/query?a=1&a=2&code=some-key',
    });
  });

  it('converts status, headers and cookies of the response', async () => {
    const response = await server.inject('/api/cookies');
    assert.equal(response.statusCode, 202);
    assert.equal(response.headers['x-custom'], 'yes');
    assert.deepEqual(response.headers['set-cookie'], ['session=abc; Path=/; HttpOnly; SameSite=Lax']);
  });

  it('answers 200 with an empty body when the function returns nothing, and 500 when it throws', async () => {
    const empty = await server.inject('/api/noResponse');
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.body, '');
    const failed = await server.inject('/api/fails');
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.body, '');
  });

  it('does not serve functions with unsupported bindings', async () => {
    assert.equal((await server.inject('/api/writesBlob')).statusCode, 404);
  });

  it('reports host status and lists functions, unsupported ones disabled', async () => {
    const status = (await server.inject('/admin/host/status')).json() as Record<string, unknown>;
    assert.equal(status['state'], 'Running');
    assert.equal(status['version'], '0.0.1-test');
    assert.deepEqual(status['app'], { name: 'http-fixture-app', version: '2.3.4' });
    const functions = (await server.inject('/admin/functions')).json() as { name: string; isDisabled: boolean; invoke_url_template?: string; error?: string }[];
    const hello = functions.find((fn) => fn.name === 'hello');
    assert.equal(hello?.isDisabled, false);
    assert.equal(hello?.invoke_url_template, 'http://127.0.0.1:7071/api/hello');
    assert.equal(functions.find((fn) => fn.name === 'item')?.invoke_url_template, 'http://127.0.0.1:7071/api/items/{id:int}/{*rest}');
    const queueWorker = functions.find((fn) => fn.name === 'queueWorker');
    assert.equal(queueWorker?.isDisabled, true);
    assert.match(queueWorker?.error ?? '', /serviceBusTrigger/);
    assert.equal((await server.inject('/admin/host/ping')).statusCode, 200);
  });
});
