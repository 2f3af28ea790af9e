/**
 * The front door forwards admin changes to the control plane. The control plane here is a small
 * real HTTP server that answers like the control plane's API and records what reached it.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { serveFrontDoor, type RunningFrontDoor } from '../../../router/front-door/serve-front-door.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly bytes: number;
  readonly sha256: string;
}

const adminKey = 'forwarding-admin-key-0123';
const controlPlaneKey = 'forwarding-control-plane-key';

/** Answers like the control plane: 202 { id, statusUrl } to a release, the request echoed otherwise. */
async function startControlPlaneDouble(received: Received[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const record: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes, sha256: hash.digest('hex') };
      received.push(record);
      if (req.url?.startsWith('/api/versions/7.7')) {
        return; // a control plane waiting on a stalled store: it took the request and says nothing
      } else if (req.url?.startsWith('/api/versions/9.9')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('not json');
      } else if (req.method === 'POST' && req.url?.startsWith('/api/releases')) {
        res.writeHead(202, { 'content-type': 'application/json', location: 'http://control-plane.internal/api/releases/release-1.2.0-abc' })
          .end(JSON.stringify({ id: 'release-1.2.0-abc', version: '1.2.0', routeKey: '1.2', statusUrl: 'http://control-plane.internal/api/releases/release-1.2.0-abc' }));
      } else if (req.url?.startsWith('/api/versions/1.0') && req.method === 'DELETE') {
        res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'VERSION_STATE_CONFLICT', message: 'would abandon 3 unfinished instances' } }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, bytes }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function call(url: string, method: 'GET' | 'POST' | 'DELETE', headers: Record<string, string> = {}, body?: string | Buffer | Readable) {
  const response = await request(url, { method, headers: { authorization: `Bearer ${adminKey}`, ...headers }, ...(body === undefined ? {} : { body }) });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

describe('admin calls forwarded to the control plane', () => {
  const received: Received[] = [];
  let controlPlane: { url: string; server: Server };
  let frontDoor: RunningFrontDoor;
  let unconfigured: RunningFrontDoor;
  let behindProxy: RunningFrontDoor;

  before(async () => {
    controlPlane = await startControlPlaneDouble(received);
    const common = { port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false } as const;
    frontDoor = await serveFrontDoor({ ...common, controlPlane: { url: controlPlane.url, key: controlPlaneKey } });
    unconfigured = await serveFrontDoor(common);
    behindProxy = await serveFrontDoor({ ...common, publicUrl: 'https://router.example.com/base', controlPlane: { url: controlPlane.url, key: controlPlaneKey } });
  });

  after(async () => {
    await frontDoor?.close();
    await unconfigured?.close();
    await behindProxy?.close();
    await new Promise((resolve) => controlPlane?.server.close(resolve));
  });

  it('forwards a JSON release with the control plane\'s key, never the admin key, and points its status URL at the front door', async () => {
    const body = JSON.stringify({ version: '1.2.0', package: '/packages/app' });
    const answer = await call(`${frontDoor.url}/admin/releases`, 'POST', { 'content-type': 'application/json' }, body);
    assert.equal(answer.status, 202);
    assert.equal(answer.body['statusUrl'], `${frontDoor.url}/admin/releases/release-1.2.0-abc`);
    assert.equal(answer.headers['location'], `${frontDoor.url}/admin/releases/release-1.2.0-abc`);
    const forwarded = received.at(-1)!;
    assert.deepEqual([forwarded.method, forwarded.url], ['POST', '/api/releases']);
    assert.equal(forwarded.headers.authorization, `Bearer ${controlPlaneKey}`);
    assert.ok(!JSON.stringify(forwarded.headers).includes(adminKey));
    assert.equal(forwarded.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(forwarded.headers['content-type'], 'application/json');

    const proxied = await call(`${behindProxy.url}/admin/releases`, 'POST', { 'content-type': 'application/json' }, body);
    assert.equal(proxied.body['statusUrl'], 'https://router.example.com/base/admin/releases/release-1.2.0-abc', 'the configured public URL wins');
  });

  it('streams a zip upload through unchanged, with its query and version header', async () => {
    const zip = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = Readable.from((function* () {
      for (let offset = 0; offset < zip.length; offset += 64 * 1024) yield zip.subarray(offset, offset + 64 * 1024);
    })());
    const answer = await call(`${frontDoor.url}/admin/releases?version=1.2.0&promote=false`, 'POST', { 'content-type': 'application/zip', 'x-release-version': '1.2.0' }, chunks);
    assert.equal(answer.status, 202);
    const forwarded = received.at(-1)!;
    assert.equal(forwarded.url, '/api/releases?version=1.2.0&promote=false');
    assert.equal(forwarded.bytes, zip.length);
    assert.equal(forwarded.sha256, createHash('sha256').update(zip).digest('hex'));
    assert.equal(forwarded.headers['x-release-version'], '1.2.0');
  });

  it('maps every operator route onto the control plane\'s API and passes its answers back', async () => {
    assert.deepEqual((await call(`${frontDoor.url}/admin/releases/release-1.2.0-abc`, 'GET')).body, { method: 'GET', url: '/api/releases/release-1.2.0-abc', bytes: 0 });
    assert.equal((await call(`${frontDoor.url}/admin/versions/1.1/current`, 'POST')).body['url'], '/api/versions/1.1/current');
    assert.equal((await call(`${frontDoor.url}/admin/versions/1.1/drain`, 'POST')).body['url'], '/api/versions/1.1/drain');
    assert.equal((await call(`${frontDoor.url}/admin/versions/1.1?force=true`, 'DELETE')).body['url'], '/api/versions/1.1?force=true');
    const refused = await call(`${frontDoor.url}/admin/versions/1.0`, 'DELETE');
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.body, { error: { code: 'VERSION_STATE_CONFLICT', message: 'would abandon 3 unfinished instances' } });
  });

  it('needs the admin key, and forwards nothing without it', async () => {
    const before = received.length;
    const answer = await request(`${frontDoor.url}/admin/versions/1.1/current`, { method: 'POST', headers: { authorization: 'Bearer wrong-key-wrong-key' } });
    assert.equal(answer.statusCode, 401);
    assert.equal(answer.headers['www-authenticate'], 'Bearer');
    assert.equal(((await answer.body.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    assert.equal(received.length, before);
  });

  it('answers 503 CONTROL_PLANE_UNAVAILABLE when there is none, it cannot be reached or it answers nonsense', async () => {
    const none = await call(`${unconfigured.url}/admin/releases`, 'POST', { 'content-type': 'application/json' }, '{}');
    assert.equal(none.status, 503);
    assert.equal(none.body.error?.code, 'CONTROL_PLANE_UNAVAILABLE');
    assert.match(none.body.error?.message ?? '', /no control plane configured.*routing is not affected/);

    const nonsense = await call(`${frontDoor.url}/admin/versions/9.9/drain`, 'POST');
    assert.equal(nonsense.status, 503);
    assert.match(nonsense.body.error?.message ?? '', /answered POST \/api\/versions\/9\.9\/drain with 200 and no JSON/);

    const down = await serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false, controlPlane: { url: 'http://127.0.0.1:1', key: controlPlaneKey } });
    try {
      const unreachable = await call(`${down.url}/admin/versions/1.1/current`, 'POST');
      assert.equal(unreachable.status, 503);
      assert.equal(unreachable.body.error?.code, 'CONTROL_PLANE_UNAVAILABLE');
      assert.match(unreachable.body.error?.message ?? '', /could not be reached \(ECONNREFUSED\)/);
    } finally {
      await down.close();
    }
  });

  it('answers 504 CONTROL_PLANE_TIMEOUT within its bound when the control plane takes a change and does not answer', async () => {
    const hurried = await serveFrontDoor({
      port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false,
      controlPlane: { url: controlPlane.url, key: controlPlaneKey, operationTimeoutMs: 300 },
    });
    try {
      const slow = await call(`${hurried.url}/admin/versions/7.7/current`, 'POST');
      assert.equal(slow.status, 504);
      assert.equal(slow.body.error?.code, 'CONTROL_PLANE_TIMEOUT');
      assert.equal(slow.body.error?.message, 'The control plane took POST /admin/versions/7.7/current but did not answer within 0.3 s (it may be waiting on its storage); '
        + 'the change may or may not have been made: check GET /admin/versions (or the release\'s status) before retrying. Routing is not affected.');
      assert.equal(received.at(-1)?.url, '/api/versions/7.7/current', 'the control plane had taken it');
    } finally {
      await hurried.close();
    }
    await assert.rejects(
      serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false, controlPlane: { url: controlPlane.url, key: controlPlaneKey, operationTimeoutMs: 0 } }),
      /options\.controlPlane\.operationTimeoutMs must be an integer from 1 to 300000; got 0/,
    );
  });

  it('refuses a control plane option that is not { url, key }', async () => {
    await assert.rejects(
      serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false, controlPlane: { url: 'ftp://x', key: controlPlaneKey } }),
      /options\.controlPlane\.url must be http or https/,
    );
    await assert.rejects(
      serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false, controlPlane: { url: 'http://x', key: 'short' } }),
      /options\.controlPlane\.key must be printable ASCII/,
    );
  });
});
