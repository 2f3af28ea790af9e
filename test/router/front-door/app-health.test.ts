/**
 * The front door probes the apps it routes to: an app process killed with SIGKILL shows as down in
 * /readyz (when it is the current version's) and in GET /admin/versions, and as up again once a
 * process answers on its URL again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveFrontDoor } from '../../../router/front-door/serve-front-door.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { FakeFunctionApp } from './fixtures/fake-function-app.js';
import { http, type HttpResult } from './fixtures/http-client.js';
import { versionEntry } from './fixtures/version-maps.js';
import { eventually } from '../../fixtures/eventually.js';

const appEntry = fileURLToPath(new URL('./fixtures/app-process.js', import.meta.url));
const adminKey = 'app-health-admin-key';
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startAppProcess(port = 0): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [appEntry, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const { url } = JSON.parse((await lines.next()).value as string) as { url: string };
  return { child, url };
}


/** Probes run every 2 s and need two failures: a change shows within a few of them. */
const within = (check: () => Promise<void>): Promise<void> => eventually(check, 15_000, 50);

interface AppView { name: string; health: { status: string; downSince: string | null; reason: string | null } | null }

function appOf(result: HttpResult, routeKey: string): AppView {
  const listing = result.json<{ versions: { routeKey: string; app: AppView }[] }>();
  return (listing.versions.find((entry) => entry.routeKey === routeKey) as { app: AppView }).app;
}

describe('app health', () => {
  it('shows a crashed app as down, in /readyz when it is the current version\'s, until it answers again', async () => {
    const current = await startAppProcess();
    const other = await FakeFunctionApp.start({ name: 'app-0-9', taskHub: 'Hub0x9' });
    const store = new MemoryVersionMapStore({
      current: '1.0',
      versions: [
        versionEntry('0.9', 'draining', ['0.9.0'], other.url),
        versionEntry('1.0', 'active', ['1.0.0'], current.url),
        versionEntry('0.8', 'decommissioned', ['0.8.0']),
      ],
    });
    const frontDoor = await serveFrontDoor({
      port: 0, store, adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false, appProbeIntervalMs: 50, appProbeTimeoutMs: 500,
    });
    const versions = (): Promise<HttpResult> => http(`${frontDoor.url}/admin/versions`, { headers: ['authorization', `Bearer ${adminKey}`] });
    try {
      await within(async () => assert.equal(appOf(await versions(), '1.0').health?.status, 'up'));
      assert.equal((await http(`${frontDoor.url}/readyz`)).status, 200);
      assert.equal(appOf(await versions(), '0.8').health, null, 'a decommissioned version\'s app is not probed');

      current.child.kill('SIGKILL');
      await within(async () => {
        const ready = await http(`${frontDoor.url}/readyz`);
        assert.equal(ready.status, 503);
        assert.match(ready.json<{ reason: string }>().reason, /^the app of the current version 1\.0 \(app-1-0\) has not answered since \S+ \(ECONNREFUSED\)$/);
      });
      const down = appOf(await versions(), '1.0');
      assert.equal(down.health?.status, 'down');
      assert.ok(down.health?.downSince !== null && !Number.isNaN(Date.parse(down.health?.downSince ?? '')));
      assert.equal(appOf(await versions(), '0.9').health?.status, 'up', 'the other version\'s app is still up');

      // Restarted on its URL, as the platform's supervisor does.
      await startAppProcess(Number(new URL(current.url).port));
      await within(async () => assert.equal((await http(`${frontDoor.url}/readyz`)).status, 200));
      assert.deepEqual(appOf(await versions(), '1.0').health, { status: 'up', downSince: null, reason: null });

      // Another version's app being down shows in the list, and readiness stays.
      await other.close();
      await within(async () => assert.equal(appOf(await versions(), '0.9').health?.status, 'down'));
      assert.equal((await http(`${frontDoor.url}/readyz`)).status, 200);
    } finally {
      await frontDoor.close();
    }
  });
});
