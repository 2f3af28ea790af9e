/**
 * Oversized and malformed requests, sent as a hostile client sends them (raw sockets, generated
 * bodies never held whole), to a front door in front of a real local host running the HTTP fixture
 * app. Every refusal comes in the error shape with its catalogue code, the front door answers what
 * exceeds its own limits without calling the app, an app's early 413 reaches the client as 413, and
 * nothing changes the version map.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../../deployer/host/e2e/host-process.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { rawExchange, type RawResponse } from '../../fixtures/raw-exchange.js';

const mebibyte = 1024 * 1024;
const appLimit = 1 * mebibyte;
const frontDoorLimit = 4 * mebibyte;
const strictLimit = appLimit / 2;
const adminKey = 'body-limits-admin-key-0123';

function errorOf(response: RawResponse): { code: string; message: string } {
  const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof parsed.error?.code, 'string', `the error shape, not ${response.body}`);
  assert.equal(typeof parsed.error?.message, 'string', `the error shape, not ${response.body}`);
  return parsed.error as { code: string; message: string };
}

function post(path: string, headers: string[]): string {
  return [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/octet-stream', ...headers].join('\r\n');
}

describe('body limits and parser refusals', () => {
  let host: HostProcess;
  let hostPort: number;
  let router: FastifyInstance;
  let routerPort: number;
  /** A front door whose limit is below the app's, so that its own refusals can be told from the app's. */
  let strictRouter: FastifyInstance;
  let strictPort: number;
  let store: MemoryVersionMapStore;
  let initialMap: VersionMap;
  const dataDir = path.join(repositoryRoot, '.data', 'test', `body-limits-${process.pid}`);

  before(async () => {
    await mkdir(dataDir, { recursive: true });
    host = await startHostProcess({
      appDir: fixtureApp('http-app'),
      args: ['--data-dir', dataDir],
      env: { ...baseEnvironment(), LOG_LEVEL: 'warn', FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(appLimit) },
    });
    hostPort = host.listening.port;
    initialMap = {
      current: '1.0',
      versions: [{
        routeKey: '1.0', state: 'active', versions: ['1.0.0'], latest: '1.0.0',
        app: { name: 'http-app', url: host.listening.url, taskHub: 'HttpFixtureHub' }, createdAt: '2026-01-01T00:00:00.000Z',
      }],
    };
    store = new MemoryVersionMapStore(initialMap);
    router = buildFrontDoor({ store, adminKey, routerKeys: testRouterKeys, maxRequestBodyBytes: frontDoorLimit, logger: false });
    await router.listen({ port: 0, host: '127.0.0.1' });
    routerPort = (router.server.address() as AddressInfo).port;
    strictRouter = buildFrontDoor({ store, adminKey, routerKeys: testRouterKeys, maxRequestBodyBytes: strictLimit, logger: false });
    await strictRouter.listen({ port: 0, host: '127.0.0.1' });
    strictPort = (strictRouter.server.address() as AddressInfo).port;
  });

  after(async () => {
    await router?.close();
    await strictRouter?.close();
    if (host && host.child.exitCode === null) await host.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes a body within both limits to the app', async () => {
    const response = await rawExchange(routerPort, post('/api/echo', [`Content-Length: ${appLimit}`]), { bytes: appLimit });
    assert.equal(response.status, 201, response.body);
    assert.equal(response.headers['x-echo-length'], String(appLimit));
  });

  it('answers a declared length over its limit with 413 itself, without calling the app', async () => {
    const response = await rawExchange(strictPort, post('/api/echo', [`Content-Length: ${200 * mebibyte}`]), { bytes: 200 * mebibyte });
    assert.equal(response.status, 413);
    assert.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE');
    assert.equal(response.headers['x-routed-version'], undefined, 'no app was chosen');
    assert.ok(response.bodyBytesSent < 200 * mebibyte, 'answered before the body was sent');
  });

  it('cuts a chunked body at its limit with 413', async () => {
    const bytes = 100 * mebibyte;
    const response = await rawExchange(strictPort, post('/api/echo', ['Transfer-Encoding: chunked']), { bytes, chunked: true });
    assert.equal(response.status, 413, response.body);
    const error = errorOf(response);
    assert.equal(error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(error.message, /0\.5 MiB|524288 bytes/, 'the front door\'s own limit');
    assert.ok(response.bodyBytesSent < bytes, 'answered before the body was sent');
  });

  for (const chunked of [false, true]) {
    it(`relays the app's early 413 as 413, never 502 (${chunked ? 'chunked' : 'content-length'})`, async () => {
      const bytes = 3 * mebibyte;
      const headers = chunked ? ['Transfer-Encoding: chunked'] : [`Content-Length: ${bytes}`];
      const response = await rawExchange(routerPort, post('/api/echo', headers), { bytes, chunked });
      assert.equal(response.status, 413, response.body);
      assert.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE');
      assert.equal(response.headers['x-routed-version'], '1.0.0', 'the app\'s answer');
    });
  }

  for (const [name, port] of [['front door', () => routerPort], ['local host', () => hostPort]] as const) {
    it(`answers what Node's parser refuses in the error shape (${name})`, async () => {
      const malformed = await rawExchange(port(), 'GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here');
      assert.equal(malformed.status, 400);
      assert.equal(errorOf(malformed).code, 'INVALID_REQUEST');
      const bigHeaders = await rawExchange(port(), `GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nx-filler: ${'a'.repeat(32 * 1024)}`);
      assert.equal(bigHeaders.status, 431);
      assert.equal(errorOf(bigHeaders).code, 'HEADERS_TOO_LARGE');
    });
  }

  it('answers a body over the local host\'s limit in the error shape', async () => {
    const response = await rawExchange(hostPort, post('/api/echo', [`Content-Length: ${2 * appLimit}`]), { bytes: 2 * appLimit });
    assert.equal(response.status, 413);
    assert.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE');
  });

  it('answers a badly encoded URL in the error shape (front door and local host)', async () => {
    const frontDoor = await rawExchange(routerPort, 'GET /admin/releases/%zz HTTP/1.1\r\nHost: 127.0.0.1');
    assert.equal(frontDoor.status, 400, frontDoor.body);
    assert.equal(errorOf(frontDoor).code, 'INVALID_REQUEST');
    const localHost = await rawExchange(hostPort, 'GET /runtime/webhooks/durabletask/instances/%zz HTTP/1.1\r\nHost: 127.0.0.1');
    assert.equal(localHost.status, 400, localHost.body);
    assert.equal(errorOf(localHost).code, 'INVALID_REQUEST');
  });

  it('leaves the version map as it was and the app serving', async () => {
    assert.deepEqual((await store.read()).map, initialMap);
    const response = await rawExchange(routerPort, 'GET /api/hello?name=Ada HTTP/1.1\r\nHost: 127.0.0.1');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'Hello, Ada!');
  });
});
