/**
 * A patch deploy moves the task hub to the new process without a gap: its durable engine gets the
 * hub's lease from the old process as soon as it serves, while the old one still finishes a
 * request a client holds open (its drain). Under a stream of starts, some of them reaching the old
 * process after the handover, every orchestration completes and every activity runs once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'undici';
import { resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../../deployer/platform/package/package-unpacking.js';
import type { DeploymentPackage } from '../../../../deployer/platform/platform.js';
import { LocalPlatform } from '../../../../deployer/platform/local/local-platform.js';
import { stageAppAsVersion } from '../../../../router/embedded/staged-app.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { eventually } from '../../../fixtures/eventually.js';
import { processExists } from '../../../fixtures/process-exists.js';
import { repositoryRoot } from '../../host/fixture-apps.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `lease-handover-${randomUUID()}`);
const durableApp = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const activityLog = path.join(workDir, 'activities.log');
const heldOpenMs = 15_000;

async function stagedPackage(version: string): Promise<DeploymentPackage> {
  const dir = path.join(workDir, 'packages', version);
  await stageAppAsVersion(durableApp, dir, version);
  const unpacked = await unpackPackage(dir, path.join(workDir, 'hashes', version), { limits: resolvePackageLimits() });
  return { path: dir, sha256: packageContentHash(unpacked.files) };
}

/** A request on a connection of its own: it reaches the process that takes the port's new connections. */
async function fresh(url: string, requestPath: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: unknown }> {
  const client = new Client(url);
  try {
    const response = await client.request({ method, path: requestPath, headers: { ...headers, 'content-type': 'application/json' }, body: method === 'POST' ? '' : null });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? undefined : JSON.parse(text) as unknown };
  } finally {
    await client.close();
  }
}

describe('a patch deploy hands the task hub over without a gap', () => {
  let platform: LocalPlatform | undefined;
  after(async () => {
    await platform?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('the new engine owns the hub while the old process drains; under a stream of starts nothing is lost or run twice', async () => {
    platform = new LocalPlatform({ root: path.join(workDir, 'platform'), startTimeoutMs: 30_000, drainTimeoutMs: heldOpenMs + 10_000 });
    const appName = 'lease-handover';
    const { url } = await platform.provision({ appName, routeKey: '1.0', version: '1.0.0' });
    await platform.configure(appName, {
      AzureWebJobsStorage: azurite.connectionString, DURABLE_FIXTURE_HUB: 'LeaseHandover', ACTIVITY_LOG: activityLog, STEP_DELAY_MS: '100',
    });
    await platform.deploy(appName, await stagedPackage('1.0.0'));
    const durableKey = { 'x-functions-key': (await platform.keys(appName)).durableTask };
    const masterKey = { 'x-functions-key': (await platform.hostSecrets(appName)).masterKey };
    const oldPid = ((await fresh(url, '/api/pid')).body as { pid: number }).pid;

    // A stream of starts over a keep-alive pool: connections opened before the switch reach the old process.
    const pool = new Pool(url, { connections: 4 });
    const started: string[] = [];
    const failures: string[] = [];
    let streaming = true;
    const stream = (async () => {
      for (let n = 0; streaming; n++) {
        const id = `stream-${n}`;
        try {
          const response = await pool.request({ method: 'POST', path: `/runtime/webhooks/durabletask/orchestrators/chain3/${id}`, headers: { ...durableKey, 'content-type': 'application/json' }, body: '' });
          const text = await response.body.text();
          if (response.statusCode === 202) started.push(id);
          else failures.push(`${id}: ${response.statusCode} ${text}`);
        } catch (error) {
          failures.push(`${id}: ${(error as Error).message}`);
        }
        await sleep(50);
      }
    })();

    // A client holds a request open on the old process: its drain lasts until that is answered.
    const held = new Client(url);
    const heldAnswer = held.request({ method: 'GET', path: `/api/pid?ms=${heldOpenMs}` }).then(async (response) => JSON.parse(await response.body.text()) as { pid: number });
    try {
      await sleep(300);
      const deployed = platform.deploy(appName, await stagedPackage('1.0.1'));
      await eventually(async () => assert.notEqual(((await fresh(url, '/api/pid')).body as { pid: number }).pid, oldPid), 30_000);
      await eventually(async () => {
        const status = await fresh(url, '/admin/host/status', masterKey);
        assert.equal((status.body as { durable?: { ownsTaskHub?: boolean } }).durable?.ownsTaskHub, true, JSON.stringify(status.body));
      }, 30_000);
      // The new engine works the hub while the old process is still draining.
      const switched = await fresh(url, '/runtime/webhooks/durabletask/orchestrators/chain3/after-switch', durableKey, 'POST');
      assert.equal(switched.status, 202, JSON.stringify(switched.body));
      await eventually(async () => {
        const status = await fresh(url, '/runtime/webhooks/durabletask/instances/after-switch', durableKey);
        assert.equal((status.body as { runtimeStatus?: string }).runtimeStatus, 'Completed', JSON.stringify(status.body));
      }, heldOpenMs);
      assert.ok(processExists(oldPid), 'the old process is still draining when the new engine has completed an orchestration');

      await deployed;
      assert.equal((await heldAnswer).pid, oldPid, 'the held request was answered by the old process');
      assert.ok(!processExists(oldPid), 'the old process has exited once the deploy resolved');
    } finally {
      streaming = false;
      await stream;
      await pool.close();
      await held.close();
    }

    assert.deepEqual(failures, []);
    assert.ok(started.length > 20, `only ${started.length} starts were sent`);
    for (const id of [...started, 'after-switch']) {
      await eventually(async () => {
        const status = await fresh(url, `/runtime/webhooks/durabletask/instances/${id}`, durableKey);
        assert.equal((status.body as { runtimeStatus?: string }).runtimeStatus, 'Completed', `${id}: ${JSON.stringify(status.body)}`);
      }, 30_000);
    }
    const runs = new Map<string, number>();
    for (const line of (await readFile(activityLog, 'utf8')).split('\n').filter((entry) => entry !== '')) runs.set(line, (runs.get(line) ?? 0) + 1);
    for (const id of [...started, 'after-switch']) {
      for (const step of [1, 2, 3]) assert.equal(runs.get(`${id}/${step}`), 1, `${id}/${step} ran ${runs.get(`${id}/${step}`) ?? 0} times`);
    }
  });
});
