import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import type { VersionMapStore } from '../../../shared/stores/version-map-store.js';
import type { VersionEntry, VersionMap } from '../../../shared/versions/version-map.js';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
import type { FrontDoorOptions } from '../../../router/front-door/front-door-options.js';
import { MemoryAppKeyStore } from '../../../shared/stores/memory-app-key-store.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { FakeFunctionApp, patternBytes, type InstanceRecorder } from './fixtures/fake-function-app.js';
import { failureOf, http, open, type HttpOptions, type HttpResult } from './fixtures/http-client.js';
import { capturingLogger } from './fixtures/log-capture.js';
import { createTrackingReader, createVersionMapStore, instanceRows } from './fixtures/stores.js';
import { eventually } from '../../fixtures/eventually.js';

const adminKey = 'front-door-test-admin-key';
const durable = '/runtime/webhooks/durabletask';
const routerKeys = testRouterKeys;
const appKeysOf = (name: string) => ({ function: `${name}-function-key-0123456789`, durableTask: `${name}/durable+key=0123456789` });

/** A call to the durable HTTP API as a client makes it: with the router's durable API key. */
function durableHttp(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  return http(url, { ...options, headers: [...(options.headers ?? []), 'x-functions-key', routerKeys.durableApi] });
}

const azurite = await startAzuriteForTests();

function entry(routeKey: string, state: VersionEntry['state'], versions: string[], app: { url: string; taskHub: string; name: string }): VersionEntry {
  return {
    routeKey, state, versions, latest: versions[versions.length - 1] as string,
    app: { name: app.name, url: app.url, taskHub: app.taskHub }, createdAt: '2026-01-01T00:00:00.000Z',
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

function errorCode(result: HttpResult): string {
  return result.json<{ error: { code: string } }>().error.code;
}


function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

describe('front door', () => {
  let recorder: InstanceRecorder;
  let store: VersionMapStore;
  let app10: FakeFunctionApp;
  let app11: FakeFunctionApp;
  let app12: FakeFunctionApp;
  let appKeys: MemoryAppKeyStore;
  let router: FastifyInstance;
  let base: string;
  let initialMap: VersionMap;
  const deadUrl = 'http://127.0.0.1:9';

  before(async () => {
    recorder = await instanceRows(azurite.connectionString);
    app10 = await FakeFunctionApp.start({ name: 'app-1-0', taskHub: 'Hub10', recorder, keys: appKeysOf('app-1-0') });
    app11 = await FakeFunctionApp.start({ name: 'app-1-1', taskHub: 'Hub11', recorder, keys: appKeysOf('app-1-1') });
    app12 = await FakeFunctionApp.start({ name: 'app-1-2', taskHub: 'Hub12', recorder, keys: appKeysOf('app-1-2') });
    appKeys = new MemoryAppKeyStore();
    for (const name of ['app-1-0', 'app-1-1', 'app-1-2', 'app-2-0']) await appKeys.put(name, appKeysOf(name));
    initialMap = {
      current: '1.1',
      versions: [
        entry('0.9', 'decommissioned', ['0.9.0'], { name: 'app-0-9', url: deadUrl, taskHub: 'Hub09' }),
        entry('1.0', 'draining', ['1.0.0', '1.0.2'], app10),
        entry('1.1', 'active', ['1.1.0', '1.1.1'], app11),
        entry('1.2', 'active', ['1.2.0'], app12),
        entry('2.0', 'active', ['2.0.0'], { name: 'app-2-0', url: deadUrl, taskHub: 'Hub20' }),
      ],
    };
    store = await createVersionMapStore(azurite.connectionString, initialMap);
    router = buildFrontDoor({
      store, trackingStore: createTrackingReader(azurite.connectionString), adminKey, routerKeys, appKeys, refreshIntervalMs: 100, logger: false,
    });
    base = await listen(router);
  });

  after(async () => {
    await router.close();
    await Promise.all([app10.close(), app11.close(), app12.close()]);
  });

  describe('version resolution', () => {
    it('sends a request without x-app-version to the current version', async () => {
      const result = await http(`${base}/api/echo`);
      assert.equal(result.status, 200);
      assert.equal(result.json().app, 'app-1-1');
      assert.equal(result.headers['x-routed-version'], '1.1.1');
    });

    it('sends a major.minor or a full version to that version\'s app', async () => {
      for (const version of ['1.2', '1.2.0']) {
        const result = await http(`${base}/api/echo/x?y=1`, { headers: ['x-app-version', version] });
        assert.equal(result.json().app, 'app-1-2', version);
        assert.equal(result.json().url, '/api/echo/x?y=1');
        assert.equal(result.headers['x-routed-version'], '1.2.0');
      }
      const earlierPatch = await http(`${base}/api/echo`, { headers: ['x-app-version', '1.1.0'] });
      assert.equal(earlierPatch.json().app, 'app-1-1');
      assert.equal(earlierPatch.headers['x-routed-version'], '1.1.1');
    });

    it('answers INVALID_VERSION 400 for a malformed header', async () => {
      const result = await http(`${base}/api/echo`, { headers: ['x-app-version', 'latest'] });
      assert.equal(result.status, 400);
      assert.equal(errorCode(result), 'INVALID_VERSION');
      assert.match(result.headers['content-type'] ?? '', /application\/json/);
    });

    it('answers VERSION_NOT_FOUND 404 listing the known versions', async () => {
      const result = await http(`${base}/api/echo`, { headers: ['x-app-version', '1.7'] });
      assert.equal(result.status, 404);
      const body = result.json<{ error: { code: string; message: string; details: { knownVersions: string[] } } }>();
      assert.equal(body.error.code, 'VERSION_NOT_FOUND');
      assert.deepEqual(body.error.details.knownVersions, ['0.9.0', '1.0.0', '1.0.2', '1.1.0', '1.1.1', '1.2.0', '2.0.0']);
    });

    it('answers VERSION_DRAINING 410 naming the current version, for api calls and durable starts alike', async () => {
      for (const [method, path] of [['GET', '/api/echo'], ['POST', `${durable}/orchestrators/Hello`], ['POST', `${durable}/orchestrators/Hello/new-id`]] as const) {
        const result = await durableHttp(`${base}${path}`, { method, headers: ['x-app-version', '1.0'] });
        assert.equal(result.status, 410, path);
        assert.equal(errorCode(result), 'VERSION_DRAINING');
        assert.match(result.json<{ error: { message: string } }>().error.message, /current version is 1\.1\.1/);
      }
      assert.equal(app10.instances.has('new-id'), false);
    });

    it('answers VERSION_DECOMMISSIONED 410 for a deleted version', async () => {
      const result = await http(`${base}/api/echo`, { headers: ['x-app-version', '0.9'] });
      assert.equal(result.status, 410);
      assert.equal(errorCode(result), 'VERSION_DECOMMISSIONED');
    });

    it('answers INVALID_REQUEST 400 for a path with dot segments, which a platform could resolve elsewhere', async () => {
      const seen = app11.requestsReceived;
      for (const path of ['/api/../runtime/webhooks/durabletask/instances', '/api/%2e%2E/runtime/webhooks/durabletask/instances', '/api/./echo', '/api/x/..']) {
        // As sent: a URL object would resolve the dots before the router sees them.
        const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const target = new URL(base);
          const req = request({ host: target.hostname, port: target.port, path, headers: { 'x-functions-key': routerKeys.function } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject).end();
        });
        assert.equal(result.status, 400, path);
        assert.equal((JSON.parse(result.body) as { error: { code: string } }).error.code, 'INVALID_REQUEST');
      }
      assert.equal(app11.requestsReceived, seen);
      assert.equal((await http(`${base}/api/echo/v1.2/..x?a=../b`)).status, 200, 'dots inside a segment, and in the query, are fine');
    });

    it('answers INVALID_REQUEST 400 for an instance id that is not valid percent-encoding', async () => {
      const result = await durableHttp(`${base}${durable}/instances/%E0%A4%A`);
      assert.equal(result.status, 400);
      assert.equal(errorCode(result), 'INVALID_REQUEST');
    });
  });

  describe('upstream failures', () => {
    it('answers UPSTREAM_UNAVAILABLE 502 when the app cannot be reached', async () => {
      const result = await http(`${base}/api/echo`, { headers: ['x-app-version', '2.0'] });
      assert.equal(result.status, 502);
      assert.equal(errorCode(result), 'UPSTREAM_UNAVAILABLE');
      assert.equal(result.headers['x-routed-version'], '2.0.0');
    });

    it('answers UPSTREAM_TIMEOUT 504 when the app is slow to answer, and cuts a stalled body', async () => {
      const strict = buildFrontDoor({ store, adminKey, routerKeys, upstreamTimeoutMs: 200, upstreamBodyTimeoutMs: 200, logger: false });
      const strictBase = await listen(strict);
      try {
        // undici checks these timeouts about once a second, so the app must stay silent well beyond that.
        const slow = await http(`${strictBase}/api/slow?ms=5000`);
        assert.equal(slow.status, 504);
        assert.equal(errorCode(slow), 'UPSTREAM_TIMEOUT');
        assert.equal(slow.headers['x-routed-version'], '1.1.1');
        const stalled = await open(`${strictBase}/api/stall-body`);
        assert.equal(stalled.statusCode, 200);
        const cut = await failureOf((async () => {
          for await (const chunk of stalled) void chunk;
        })());
        assert.equal(cut, 'ECONNRESET');
        const fast = await http(`${strictBase}/api/slow?ms=1`);
        assert.equal(fast.status, 200);
      } finally {
        await strict.close();
      }
    });
  });

  describe('headers', () => {
    it('drops hop-by-hop headers both ways and sets x-forwarded-*', async () => {
      const result = await http(`${base}/api/echo`, {
        headers: [
          'Connection', 'keep-alive, X-Client-Hop', 'X-Client-Hop', 'secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers',
          'Proxy-Authorization', 'Basic abc', 'X-Forwarded-For', '203.0.113.9', 'X-End', 'kept',
        ],
      });
      const seen = result.json<{ headers: Record<string, string> }>().headers;
      for (const name of ['x-client-hop', 'keep-alive', 'te', 'proxy-authorization']) assert.equal(seen[name], undefined, name);
      assert.equal(seen['x-end'], 'kept');
      assert.equal(seen['x-forwarded-for'], '127.0.0.1', 'a client\'s own X-Forwarded-For is not believed');
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.equal(seen['x-forwarded-host'], new URL(base).host);
      assert.equal(seen.host, new URL(app11.url).host, 'the app gets its own host');

      const response = await http(`${base}/api/hop-by-hop`);
      assert.equal(response.body.toString(), 'hop');
      assert.equal(response.headers['x-hop'], undefined);
      assert.equal(response.headers['proxy-authenticate'], undefined);
      assert.equal(response.headers['x-end-to-end'], 'kept');
      assert.equal(response.headers['x-routed-version'], '1.1.1', 'the app cannot spoof x-routed-version');
      assert.notEqual(response.headers['keep-alive'], 'timeout=5');
    });

    it('never forwards the admin key but forwards the apps\' own Authorization', async () => {
      const withAdmin = await http(`${base}/api/echo`, { headers: ['Authorization', `Bearer ${adminKey}`] });
      assert.equal(withAdmin.json<{ headers: Record<string, string> }>().headers.authorization, undefined);
      const withOwn = await http(`${base}/api/echo`, { headers: ['Authorization', 'Bearer user-token'] });
      assert.equal(withOwn.json<{ headers: Record<string, string> }>().headers.authorization, 'Bearer user-token');
    });
  });

  describe('streaming', () => {
    it('streams a large request body to the app without buffering it', async () => {
      app11.armGate();
      const body = new PassThrough();
      const firstChunk = patternBytes(0, 256 * 1024);
      const pending = http(`${base}/api/upload?gate=1`, { method: 'POST', headers: ['content-type', 'application/octet-stream'], body });
      body.write(firstChunk);
      // The app sees the start of the body while the client is still sending: nothing waits for the whole of it.
      await eventually(async () => assert.ok(app11.uploadReceived > 0), 5_000);
      app11.openGate();
      const rest: Buffer[] = [];
      const total = 32 * 1024 * 1024;
      for (let offset = firstChunk.length; offset < total; offset += 1024 * 1024) {
        const chunk = patternBytes(offset, Math.min(1024 * 1024, total - offset));
        rest.push(chunk);
        if (!body.write(chunk)) await new Promise((resolve) => body.once('drain', resolve));
      }
      body.end();
      const result = await pending;
      assert.equal(result.status, 200);
      assert.equal(result.json().bytes, total);
      assert.equal(result.json().sha256, sha256(firstChunk, ...rest));
    });

    it('streams a large response to the client as the app writes it', async () => {
      app11.armGate();
      const response = await open(`${base}/api/download?bytes=${4 * 1024 * 1024}&gate=1`);
      const iterator = (response as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.ok(!first.done && first.value.length > 0, 'the first bytes arrive while the app is still holding the rest');
      app11.openGate();
      let received = first.value.length;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        received += next.value.length;
      }
      assert.equal(received, 4 * 1024 * 1024);
    });

    it('holds the app back while the client reads slowly, and delivers every byte', async () => {
      const total = 96 * 1024 * 1024;
      const response = await open(`${base}/api/download?bytes=${total}`);
      response.pause();
      await sleep(400);
      assert.ok(app11.downloadWritten < total / 2, `the app wrote ${app11.downloadWritten} bytes to a client that read none`);
      const hash = createHash('sha256');
      let received = 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        hash.update(chunk);
        received += chunk.length;
      }
      assert.equal(received, total);
      const expected = createHash('sha256');
      for (let offset = 0; offset < total; offset += 64 * 1024) expected.update(patternBytes(offset, Math.min(64 * 1024, total - offset)));
      assert.equal(hash.digest('hex'), expected.digest('hex'));
    });
  });

  describe('keys: clients present the router\'s, apps get their own', () => {
    it('refuses the durable API without the router\'s durable API key, before routing anything', async () => {
      const seen = app11.requestsReceived;
      for (const [path, headers] of [
        [`${durable}/instances/x`, []],
        [`${durable}/instances/x?code=${routerKeys.function}`, []],
        [`${durable}/instances/x?code=${adminKey}`, []],
        [`${durable}/instances/x`, ['x-functions-key', appKeysOf('app-1-1').durableTask]],
        [`${durable}/instances/x`, ['Authorization', `Bearer ${adminKey}`]],
        [`${durable}/instances/%E0%A4%A`, []],
      ] as const) {
        const result = await http(`${base}${path}`, { headers });
        assert.equal(result.status, 401, path);
        assert.equal(errorCode(result), 'UNAUTHORIZED');
        assert.match(result.json<{ error: { message: string } }>().error.message, /durable API key/);
      }
      assert.equal(app11.requestsReceived, seen, 'nothing reached the app');
    });

    it('swaps the router\'s durable API key, as header or code, for the app\'s own', async () => {
      for (const [query, headers] of [[`?code=${routerKeys.durableApi}`, []], ['', ['x-functions-key', routerKeys.durableApi]], [`?showInput=true&code=${routerKeys.durableApi}&x=1`, []]] as const) {
        const result = await http(`${base}${durable}/orchestrators/Hello${query}`, { method: 'POST', headers });
        assert.equal(result.status, 202, query);
        assert.equal(app11.lastKey, appKeysOf('app-1-1').durableTask);
        assert.ok(!app11.lastUrl?.includes('code='), `the app saw ${app11.lastUrl}`);
        if (query.includes('showInput')) assert.match(app11.lastUrl ?? '', /\?showInput=true&x=1$/);
      }
    });

    it('gives clients URLs that carry the router\'s key and work, never the app\'s key', async () => {
      const started = await durableHttp(`${base}${durable}/orchestrators/Hello`, { method: 'POST' });
      const appKey = appKeysOf('app-1-1').durableTask;
      for (const text of [started.body.toString(), started.headers.location ?? '']) {
        assert.ok(!text.includes(appKey) && !text.includes(encodeURIComponent(appKey)), text);
        assert.ok(text.includes(`code=${routerKeys.durableApi}`), text);
      }
      const links = started.json<Record<string, string>>();
      const status = await http(links.statusQueryGetUri as string);
      assert.equal(status.status, 202);
      const links2 = await http(`${base}/api/links`);
      assert.ok(!links2.body.toString().includes(appKey));
    });

    it('masks the app\'s keys in bodies of every size, streamed ones included, never in compressed ones', async () => {
      const appKey = appKeysOf('app-1-1').durableTask;
      const encoded = encodeURIComponent(appKey);
      const big = await http(`${base}/api/big-json?withKey=1&bytes=${100 * 1024}`);
      assert.equal(big.status, 200);
      const text = big.body.toString('utf8');
      assert.ok(!text.includes(appKey) && !text.includes(encoded), 'no app key in a 100 KiB JSON body');
      assert.equal(big.json().tail, `?code=${routerKeys.durableApi}`);
      assert.equal(big.headers['content-length'], undefined, 'streamed, so its length is not known before');
      const echoed = await http(`${base}/api/echo`, { headers: ['accept-encoding', 'gzip, br'] });
      assert.equal(echoed.json<{ headers: Record<string, string> }>().headers['accept-encoding'], 'identity', 'answers are asked for uncompressed, to be masked');
      for (const times of ['1', '20000']) {
        const plain = await http(`${base}/api/text-with-key?times=${times}`);
        const body = plain.body.toString('utf8');
        assert.ok(!body.includes(appKey) && !body.includes(encoded), `text x${times}`);
        assert.equal(body.split('\n').filter((line) => line === `key: ${routerKeys.durableApi}`).length, Number(times));
      }
    });

    it('adds the app\'s function key only for a client that presents the router\'s function key', async () => {
      const withKey = await http(`${base}/api/keyed?code=${routerKeys.function}`);
      assert.equal(withKey.status, 200);
      assert.equal(app11.lastKey, appKeysOf('app-1-1').function);
      assert.equal(app11.lastUrl, '/api/keyed');
      const viaHeader = await http(`${base}/api/keyed`, { headers: ['x-functions-key', routerKeys.function, 'x-app-version', '1.2'] });
      assert.equal(viaHeader.status, 200);
      assert.equal(app12.lastKey, appKeysOf('app-1-2').function, 'each app gets its own key');
      for (const key of [undefined, 'a-guess-at-the-key', routerKeys.durableApi, appKeysOf('app-1-1').function, adminKey]) {
        const result = await http(`${base}/api/keyed`, { headers: key === undefined ? [] : ['x-functions-key', key] });
        assert.equal(result.status, 401, `with ${String(key)}`);
        assert.equal(app11.lastKey, undefined, 'no client key reaches the app');
      }
      const anonymous = await http(`${base}/api/echo?code=something&y=2`);
      assert.equal(anonymous.status, 200);
      assert.equal(anonymous.json().url, '/api/echo?y=2');
      // However a client spells `code`, it is taken off: an app's own key never works, nor can it be guessed at, through the router.
      for (const spelled of ['%63ode', 'CODE', 'c%6Fde']) {
        const result = await http(`${base}/api/keyed?${spelled}=${encodeURIComponent(appKeysOf('app-1-1').function)}&y=3`);
        assert.equal(result.status, 401, spelled);
        assert.equal(app11.lastUrl, '/api/keyed?y=3');
        assert.equal(app11.lastKey, undefined);
        assert.equal((await http(`${base}/api/keyed?${spelled}=${routerKeys.function}`)).status, 200, `the router's key spelled ${spelled}`);
      }
    });

    it('uses keys rotated in the store once it reads them again, and a new app\'s keys from its first request', async () => {
      const keys = new MemoryAppKeyStore();
      const rotating = await FakeFunctionApp.start({ name: 'app-7-0', taskHub: 'Hub70', keys: appKeysOf('app-7-0') });
      await keys.put('app-7-0', appKeysOf('app-7-0'));
      const rotatingStore = new MemoryVersionMapStore({ current: '7.0', versions: [entry('7.0', 'active', ['7.0.0'], rotating)] });
      const keyed = buildFrontDoor({ store: rotatingStore, adminKey, routerKeys, appKeys: keys, appKeyMaxAgeMs: 100, refreshIntervalMs: 50, logger: false });
      const keyedBase = await listen(keyed);
      const newer = await FakeFunctionApp.start({ name: 'app-7-1', taskHub: 'Hub71', keys: appKeysOf('app-7-1') });
      try {
        assert.equal((await http(`${keyedBase}/api/keyed?code=${routerKeys.function}`)).status, 200);
        const rotated = { ...appKeysOf('app-7-0'), function: 'app-7-0-rotated-function-key-0123' };
        await keys.put('app-7-0', rotated);
        await eventually(async () => {
          await http(`${keyedBase}/api/keyed?code=${routerKeys.function}`);
          assert.equal(rotating.lastKey, rotated.function);
        }, 5_000);
        // An app whose keys the router does not hold is not called: its answers could not be masked.
        await rotatingStore.update((map) => ({ current: '7.1', versions: [...map.versions, entry('7.1', 'active', ['7.1.0'], newer)] }));
        await eventually(async () => {
          const refused = await http(`${keyedBase}/api/echo`);
          assert.equal(refused.status, 503);
          assert.equal(errorCode(refused), 'APP_KEYS_UNAVAILABLE');
        }, 5_000);
        const calls = newer.requestsReceived;
        assert.equal((await http(`${keyedBase}/api/echo`)).status, 503);
        assert.equal(newer.requestsReceived, calls, 'the app was not called');
        await keys.put('app-7-1', appKeysOf('app-7-1'));
        await eventually(async () => assert.equal((await http(`${keyedBase}/api/echo`)).json().app, 'app-7-1'), 5_000);
        assert.equal((await http(`${keyedBase}/api/keyed?code=${routerKeys.function}`)).status, 200, 'the new app\'s keys were there with the map that names it');
      } finally {
        await keyed.close();
        await Promise.all([rotating.close(), newer.close()]);
      }
    });
  });

  describe('instance affinity and URL rewriting', () => {
    it('points the management URLs and Location of a start at the router', async () => {
      const result = await durableHttp(`${base}${durable}/orchestrators/Hello`, { method: 'POST', body: '{}' });
      assert.equal(result.status, 202);
      const payload = result.json<Record<string, string>>();
      const id = payload.id as string;
      for (const key of ['statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'suspendPostUri', 'resumePostUri']) {
        assert.ok(payload[key]?.startsWith(`${base}${durable}/instances/${id}`), `${key}: ${payload[key]}`);
      }
      assert.equal(result.headers.location, payload.statusQueryGetUri);
      assert.equal(Number(result.headers['content-length']), result.body.length);
      assert.equal(result.headers['retry-after'], '10');
    });

    it('sends every call about an instance to its app whatever the header says', async () => {
      const started = await durableHttp(`${base}${durable}/orchestrators/Hello`, { method: 'POST' });
      const links = started.json<Record<string, string>>();
      const id = links.id as string;
      for (const version of [undefined, '1.2', '1.0', '2.0']) {
        const status = await http(links.statusQueryGetUri as string, { headers: version === undefined ? [] : ['x-app-version', version] });
        assert.equal(status.status, 202, `with x-app-version ${version}`);
        assert.equal(status.json().app, 'app-1-1');
      }
      const raised = await http((links.sendEventPostUri as string).replace('{eventName}', 'Approval'), { method: 'POST', headers: ['x-app-version', '1.2'], body: '"yes"' });
      assert.equal(raised.status, 202);
      assert.deepEqual(app11.instances.get(id)?.events, ['Approval']);
    });

    it('reaches an instance of a version that is no longer current (draining)', async () => {
      // Started on 1.0 while it was current, before 1.1 was released.
      await recorder.created('legacy-order', 'Hello', 'Hub10');
      app10.instances.set('legacy-order', { name: 'Hello', events: [] });
      const status = await durableHttp(`${base}${durable}/instances/legacy-order?code=k`);
      assert.equal(status.status, 202);
      assert.equal(status.json().app, 'app-1-0');
      assert.equal(status.headers['x-routed-version'], '1.0.2');
      const raised = await durableHttp(`${base}${durable}/instances/legacy-order/raiseEvent/Done`, { method: 'POST' });
      assert.equal(raised.status, 202);
      assert.deepEqual(app10.instances.get('legacy-order')?.events, ['Done']);
    });

    it('lets the current app read an instance of a decommissioned version, and refuses changes to it', async () => {
      await recorder.created('ancient', 'Hello', 'Hub09');
      const status = await durableHttp(`${base}${durable}/instances/ancient`, { headers: ['x-app-version', '1.2'] });
      assert.equal(status.json().app, 'app-1-1', 'read from the shared tracking store through the current app');
      const raised = await durableHttp(`${base}${durable}/instances/ancient/raiseEvent/Late`, { method: 'POST' });
      assert.equal(raised.status, 410);
      assert.equal(errorCode(raised), 'VERSION_DECOMMISSIONED');
    });

    it('goes by the header for an instance the tracking store does not know, and forgets a purged one', async () => {
      const unknown = await durableHttp(`${base}${durable}/instances/never-started`, { headers: ['x-app-version', '1.2'] });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json().app, 'app-1-2');
      await recorder.created('to-purge', 'Hello', 'Hub12');
      app12.instances.set('to-purge', { name: 'Hello', events: [] });
      assert.equal((await durableHttp(`${base}${durable}/instances/to-purge`)).json().app, 'app-1-2');
      const purged = await durableHttp(`${base}${durable}/instances/to-purge`, { method: 'DELETE' });
      assert.equal(purged.status, 200);
      const after = await durableHttp(`${base}${durable}/instances/to-purge`);
      assert.equal(after.status, 404);
      assert.equal(after.json().app, 'app-1-1', 'once purged, the id is unknown and goes to the current version');
    });

    it('refuses with 409 a start whose instance id another version\'s app already uses', async () => {
      await recorder.created('order-7', 'Hello', 'Hub10');
      app10.instances.set('order-7', { name: 'Hello', events: [] });
      const clash = await durableHttp(`${base}${durable}/orchestrators/Hello/order-7`, { method: 'POST' });
      assert.equal(clash.status, 409);
      assert.equal(errorCode(clash), 'INSTANCE_ID_CONFLICT');
      assert.equal(app11.instances.has('order-7'), false, 'the current app never saw the start');

      const fresh = await durableHttp(`${base}${durable}/orchestrators/Hello/order-8`, { method: 'POST' });
      assert.equal(fresh.status, 202);
      assert.equal(fresh.json().id, 'order-8');
      const again = await durableHttp(`${base}${durable}/orchestrators/Hello/order-8`, { method: 'POST' });
      assert.equal(again.status, 202, 'the owning app may restart its own instance');
      const elsewhere = await durableHttp(`${base}${durable}/orchestrators/Hello/order-8`, { method: 'POST', headers: ['x-app-version', '1.2'] });
      assert.equal(elsewhere.status, 409);
      assert.equal(app12.instances.has('order-8'), false);
    });

    it('rewrites app URLs in small JSON api responses, chunked ones included', async () => {
      const result = await http(`${base}/api/links`);
      const body = result.json<Record<string, string>>();
      assert.equal(body.statusQueryGetUri, `${base}${durable}/instances/x?code=${routerKeys.durableApi}`);
      assert.equal(body.other, 'http://elsewhere:1/x');
      assert.equal(Number(result.headers['content-length']), result.body.length);
    });

    it('streams large or compressed JSON without rewriting its URLs', async () => {
      const big = await http(`${base}/api/big-json?bytes=${70 * 1024}`);
      assert.equal(big.json().statusQueryGetUri, `${app11.url}${durable}/instances/x`);
      assert.equal(big.body.length, 70 * 1024 + JSON.stringify({ statusQueryGetUri: `${app11.url}${durable}/instances/x`, padding: '', tail: '' }).length, 'every byte as the app sent it');
      const gzip = await http(`${base}/api/gzip-json`);
      assert.match(gzip.body.toString(), new RegExp(app11.url.replaceAll('.', '\\.')));
    });

    it('believes X-Forwarded-Host and -Proto only from a trusted proxy', async () => {
      const spoofed = ['X-Forwarded-Host', 'evil.example', 'X-Forwarded-Proto', 'https'];
      const fromClient = await durableHttp(`${base}${durable}/orchestrators/Hello`, { method: 'POST', headers: spoofed });
      assert.equal(fromClient.status, 202);
      assert.ok(fromClient.headers.location?.startsWith(`${base}${durable}/instances/`), fromClient.headers.location);
      assert.ok(fromClient.json<Record<string, string>>().statusQueryGetUri?.startsWith(`${base}/runtime/`));
      assert.ok(!fromClient.body.toString().includes('evil.example'));

      const behindProxy = buildFrontDoor({
        store, trackingStore: createTrackingReader(azurite.connectionString), adminKey, routerKeys, appKeys, trustedProxies: ['127.0.0.0/8', '::1'], logger: false,
      });
      const proxyBase = await listen(behindProxy);
      try {
        const fromProxy = await durableHttp(`${proxyBase}${durable}/orchestrators/Hello`, { method: 'POST', headers: ['X-Forwarded-Host', 'router.example.com', 'X-Forwarded-Proto', 'https'] });
        assert.ok(fromProxy.headers.location?.startsWith(`https://router.example.com${durable}/instances/`), fromProxy.headers.location);
        const release = await http(`${proxyBase}/admin/versions`, { headers: ['Authorization', `Bearer ${adminKey}`, 'X-Forwarded-Host', 'router.example.com'] });
        assert.equal(release.status, 200);
      } finally {
        await behindProxy.close();
      }
      assert.throws(() => buildFrontDoor({ store, adminKey, routerKeys, trustedProxies: ['10.0.0.0/99'], logger: false }), /trustedProxies lists "10\.0\.0\.0\/99"/);
    });

    it('rewrites to the configured public URL when there is one', async () => {
      const behindProxy = buildFrontDoor({
        store, trackingStore: createTrackingReader(azurite.connectionString), adminKey, routerKeys, appKeys, publicUrl: 'https://router.example.com/', logger: false,
      });
      const proxyBase = await listen(behindProxy);
      try {
        const result = await durableHttp(`${proxyBase}${durable}/orchestrators/Hello`, { method: 'POST' });
        assert.ok(result.headers.location?.startsWith(`https://router.example.com${durable}/instances/`), result.headers.location);
        assert.ok(result.json<Record<string, string>>().statusQueryGetUri?.startsWith('https://router.example.com/runtime/'));
      } finally {
        await behindProxy.close();
      }
    });
  });

  describe('admin and health', () => {
    it('answers /healthz and /readyz', async () => {
      assert.deepEqual((await http(`${base}/healthz`)).json(), { status: 'ok' });
      const ready = await http(`${base}/readyz`);
      assert.equal(ready.status, 200);
    });

    it('requires the admin key for /admin/versions', async () => {
      for (const headers of [[], ['Authorization', 'Bearer wrong-key-wrong-key'], ['Authorization', adminKey]]) {
        const result = await http(`${base}/admin/versions`, { headers });
        assert.equal(result.status, 401);
        assert.equal(errorCode(result), 'UNAUTHORIZED');
        assert.equal(result.headers['www-authenticate'], 'Bearer');
      }
    });

    it('shows the version map it routes by, with the health its probes found', async () => {
      await eventually(async () => {
        const result = await http(`${base}/admin/versions`, { headers: ['Authorization', `Bearer ${adminKey}`] });
        assert.equal(result.status, 200);
        const body = result.json<{ current: string; versions: Array<Record<string, unknown>> }>();
        assert.equal(body.current, '1.1');
        assert.deepEqual(body.versions.find((version) => version.routeKey === '1.1'), {
          routeKey: '1.1', state: 'active', versions: ['1.1.0', '1.1.1'], latest: '1.1.1', strategy: 'app-routing',
          app: { name: 'app-1-1', url: app11.url, health: { status: 'up', downSince: null, reason: null }, trackingStore: null },
          entities: null, createdAt: '2026-01-01T00:00:00.000Z', drainedAt: null, decommissionedAt: null, instances: null,
        });
        const dead = body.versions.find((version) => version.routeKey === '2.0') as { app: { health: { status: string; reason: string } } };
        assert.deepEqual([dead.app.health.status, dead.app.health.reason], ['down', 'ECONNREFUSED']);
      }, 10_000);
    });

    it('answers NOT_FOUND for other paths', async () => {
      const result = await http(`${base}/nothing-here`);
      assert.equal(result.status, 404);
      assert.equal(errorCode(result), 'NOT_FOUND');
    });
  });

  describe('closing', () => {
    it('lets a request in flight finish and refuses the next one on its connection with SHUTTING_DOWN', async () => {
      const closing = buildFrontDoor({ store, adminKey, routerKeys, logger: false });
      const closingBase = new URL(await listen(closing));
      const socket = connect(Number(closingBase.port), closingBase.hostname);
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      try {
        const seen = app11.requestsReceived;
        socket.write(`GET /api/slow?ms=300 HTTP/1.1\r\nHost: ${closingBase.host}\r\n\r\n`);
        await eventually(async () => assert.ok(app11.requestsReceived > seen), 2_000);
        const closed = closing.close();
        socket.write(`GET /api/echo HTTP/1.1\r\nHost: ${closingBase.host}\r\n\r\n`);
        await closed;
        await eventually(async () => assert.match(received, /SHUTTING_DOWN/), 1_000);
        const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
        assert.match(first ?? '', /^HTTP\/1\.1 200 [\s\S]*"slow":true/);
        assert.match(second ?? '', /^HTTP\/1\.1 503 [\s\S]*connection: close/i);
      } finally {
        socket.destroy();
      }
    });
  });

  describe('version map changes', () => {
    it('routes by a change within a second of its write', async () => {
      await store.update((map) => ({ ...map, current: '1.2' }));
      const written = Date.now();
      await eventually(async () => assert.equal((await http(`${base}/api/echo`)).json().app, 'app-1-2'), 1_000);
      assert.ok(Date.now() - written <= 1_000);
      await store.update((map) => ({ ...map, current: '1.1' }));
      await eventually(async () => assert.equal((await http(`${base}/api/echo`)).json().app, 'app-1-1'), 1_000);
    });

    it('answers NO_CURRENT_VERSION 503 when no version is current', async () => {
      await store.update((map) => ({ ...map, current: null }));
      try {
        await eventually(async () => {
          const result = await http(`${base}/api/echo`);
          assert.equal(result.status, 503);
          assert.equal(errorCode(result), 'NO_CURRENT_VERSION');
        }, 1_000);
        assert.equal((await http(`${base}/api/echo`, { headers: ['x-app-version', '1.2'] })).json().app, 'app-1-2');
      } finally {
        await store.update((map) => ({ ...map, current: '1.1' }));
        await eventually(async () => assert.equal((await http(`${base}/api/echo`)).status, 200), 1_000);
      }
    });

    it('ends up routing by every change of concurrent map writers', async () => {
      const writers = Array.from({ length: 8 }, (_, i) => store.update((map) => ({
        ...map, versions: [...map.versions, entry(`3.${i}`, 'active', [`3.${i}.${i}`], app12)],
      })));
      await Promise.all(writers);
      await eventually(async () => {
        for (let i = 0; i < 8; i++) {
          const result = await http(`${base}/api/echo`, { headers: ['x-app-version', `3.${i}`] });
          assert.equal(result.status, 200, `3.${i}`);
          assert.equal(result.headers['x-routed-version'], `3.${i}.${i}`);
        }
      }, 1_000);
      await store.update((map) => ({ ...map, versions: map.versions.filter((version) => !version.routeKey.startsWith('3.')) }));
    });
  });
});

describe('front door during a store outage', () => {
  it('is not ready and routes nothing before the first map', async () => {
    const outage = await startAzuriteForTests();
    const store = await createVersionMapStore(outage.connectionString);
    await outage.stop();
    const { logger, lines } = capturingLogger('warn');
    const options: FrontDoorOptions = { store, adminKey, routerKeys, refreshIntervalMs: 50, logger };
    const router = buildFrontDoor(options);
    const base = await listen(router);
    try {
      const ready = await http(`${base}/readyz`);
      assert.equal(ready.status, 503);
      const proxied = await http(`${base}/api/echo`);
      assert.equal(proxied.status, 503);
      assert.equal(errorCode(proxied), 'STORE_UNAVAILABLE');
      assert.ok(lines.some((line) => /no map has been loaded yet/.test(line.msg)));
    } finally {
      await router.close();
    }
  });

  it('keeps routing on the last known map, logging the outage once', async () => {
    const outage = await startAzuriteForTests();
    const app = await FakeFunctionApp.start({ name: 'app-5-0', taskHub: 'Hub50', recorder: await instanceRows(outage.connectionString) });
    const store = await createVersionMapStore(outage.connectionString, {
      current: '5.0', versions: [entry('5.0', 'active', ['5.0.1'], app)],
    });
    const { logger, lines } = capturingLogger('warn');
    const router = buildFrontDoor({ store, trackingStore: createTrackingReader(outage.connectionString), adminKey, routerKeys, refreshIntervalMs: 50, logger });
    const base = await listen(router);
    try {
      const started = await durableHttp(`${base}${durable}/orchestrators/Hello/kept`, { method: 'POST' });
      assert.equal(started.status, 202);
      await outage.stop();
      const outageStarted = Date.now();
      while (Date.now() - outageStarted < 1_500) {
        const result = await http(`${base}/api/echo`);
        assert.equal(result.status, 200);
        assert.equal(result.json().app, 'app-5-0');
        await sleep(50);
      }
      assert.equal((await http(`${base}/readyz`)).status, 200, 'a router with a map stays ready');
      const known = await durableHttp(`${base}${durable}/instances/kept`);
      assert.equal(known.json().app, 'app-5-0', 'an owner already known is still used');
      const unknown = await durableHttp(`${base}${durable}/instances/not-cached`);
      assert.equal(unknown.status, 503);
      assert.equal(errorCode(unknown), 'STORE_UNAVAILABLE');
      const outageWarnings = lines.filter((line) => /version map store is unreachable/.test(line.msg));
      assert.equal(outageWarnings.length, 1);
    } finally {
      await router.close();
      await app.close();
    }
  });
});
