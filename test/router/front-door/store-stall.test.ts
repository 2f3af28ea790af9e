/**
 * The front door while its storage stalls (accepts connections, answers nothing, as a paused or
 * overloaded account does): routing goes on from the last map, and every request that needs the
 * store answers 503 STORE_UNAVAILABLE with Retry-After once a try runs out, instead of hanging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveFrontDoor, type RunningFrontDoor } from '../../../router/front-door/serve-front-door.js';
import { tableCallBounds } from '../../../shared/storage/table-call-bounds.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { StorageFaultProxy } from '../../fixtures/storage-fault-proxy.js';
import { FakeFunctionApp } from './fixtures/fake-function-app.js';
import { http, type HttpResult } from './fixtures/http-client.js';
import { createTrackingReader, createVersionMapStore, instanceRows } from './fixtures/stores.js';
import { versionEntry } from './fixtures/version-maps.js';

const adminKey = 'store-stall-admin-key';
const durable = '/runtime/webhooks/durabletask';
const azurite = await startAzuriteForTests();

function errorOf(result: HttpResult): { code: string; message: string } {
  return result.json<{ error: { code: string; message: string } }>().error;
}

describe('front door during a storage stall', () => {
  let proxy: StorageFaultProxy;
  let app: FakeFunctionApp;
  let frontDoor: RunningFrontDoor;

  before(async () => {
    proxy = await StorageFaultProxy.start(azurite.port);
    const stalling = proxy.connectionString;
    app = await FakeFunctionApp.start({ name: 'app-1-0', taskHub: 'Hub10', recorder: await instanceRows(azurite.connectionString) });
    const store = await createVersionMapStore(stalling, {
      current: '1.0', versions: [{ ...versionEntry('1.0', 'active', ['1.0.0']), app: { name: app.name, url: app.url, taskHub: app.taskHub } }],
    });
    frontDoor = await serveFrontDoor({
      port: 0, store, trackingStore: createTrackingReader(stalling), adminKey, routerKeys: testRouterKeys, refreshIntervalMs: 100, logger: false, handleSignals: false,
    });
  });

  after(async () => {
    await proxy.resume();
    await frontDoor?.close();
    await app?.close();
    await proxy?.close();
  });

  it('answers STORE_UNAVAILABLE with Retry-After for instance lists and unknown instances, and keeps routing', { timeout: 60_000 }, async () => {
    const admin = ['authorization', `Bearer ${adminKey}`];
    const durableKey = ['x-functions-key', testRouterKeys.durableApi];
    assert.equal((await http(`${frontDoor.url}/admin/instances`, { headers: admin })).status, 200);
    proxy.stall();
    const [instances, status] = await Promise.all([
      http(`${frontDoor.url}/admin/instances`, { headers: admin }),
      http(`${frontDoor.url}${durable}/instances/never-seen`, { headers: durableKey }),
    ]);
    assert.ok(proxy.stalled, 'answered while the store still stalls');
    for (const result of [instances, status]) {
      assert.equal(result.status, 503);
      assert.equal(errorOf(result).code, 'STORE_UNAVAILABLE');
      assert.equal(result.headers['retry-after'], '5');
    }
    assert.match(errorOf(instances).message, new RegExp(`did not answer within ${tableCallBounds.tryTimeoutMs / 1000} s`));
    assert.match(errorOf(status).message, /which version owns instance "never-seen"/);

    // The map read before the stall goes on being served: routing, readiness, the version list.
    const echo = await http(`${frontDoor.url}/api/echo`);
    assert.equal(echo.status, 200);
    assert.equal(echo.json().app, 'app-1-0');
    assert.equal((await http(`${frontDoor.url}/readyz`)).status, 200);
    assert.equal((await http(`${frontDoor.url}/admin/versions`, { headers: admin })).json<{ current: string }>().current, '1.0');
    assert.ok(proxy.stalled);

    await proxy.resume();
    assert.equal((await http(`${frontDoor.url}/admin/instances`, { headers: admin })).status, 200);
  });
});
