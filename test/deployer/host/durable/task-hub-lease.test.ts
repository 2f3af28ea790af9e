/**
 * Task hub ownership by lease, with real host processes on one real Azurite: only the lease
 * holder works the hub, a second host serves the HTTP API and hands what it receives to the owner,
 * a newer host gets the hub by a handover that lets running activities finish, a killed owner's
 * lease is taken once it expires, and an owner whose store stalls stops working before another
 * host may take over. Activities append their step to a log file per host, so a run is counted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { eventually } from '../../../fixtures/eventually.js';
import { StorageFaultProxy } from '../../../fixtures/storage-fault-proxy.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../e2e/host-process.js';
import { repositoryRoot } from '../fixture-apps.js';
import { post, readStatus, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';

const azurite = await startAzuriteForTests();
const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const steps = (id: string): string[] => ['a', 'b', 'fan-1', 'fan-2', 'fan-3', 'c'].map((step) => `${id}/${step}`);
const outputOf = (id: string): string[] => steps(id).map((step) => `${step} done`);

describe('task hub ownership by lease', () => {
  const hosts: HostProcess[] = [];
  const proxies: StorageFaultProxy[] = [];
  let workDir: string;
  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'durable-lease-'));
  });
  after(async () => {
    for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) await host.stop();
    for (const proxy of proxies) await proxy.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function startHost(hub: string, name: string, options: { storage?: string; stepDelayMs?: number; leaseMs?: number } = {}): Promise<HostProcess> {
    const host = await startHostProcess({
      appDir,
      args: options.leaseMs === undefined ? [] : ['--durable-lease-ms', String(options.leaseMs)],
      env: {
        ...baseEnvironment(),
        AzureWebJobsStorage: options.storage ?? azurite.connectionString,
        DURABLE_FIXTURE_HUB: hub,
        ACTIVITY_LOG: logOf(name),
        STEP_DELAY_MS: String(options.stepDelayMs ?? 0),
        LOG_LEVEL: 'warn',
      },
    });
    hosts.push(host);
    return host;
  }

  const logOf = (name: string): string => path.join(workDir, `${name}.log`);

  it('two hosts on one hub: every activity runs once, and what the non-owner accepts completes', async () => {
    const hub = 'LeaseTwoHosts';
    const first = await startHost(hub, 'two-first', { stepDelayMs: 400 });
    assert.equal(await ownsHub(first), true, 'the first host takes the free hub');
    const early = ['early-0', 'early-1', 'early-2', 'early-3'];
    for (const id of early) await startOrchestration(first.listening.url, 'resilientFlow', undefined, id);
    await eventually(async () => assert.ok(await someActivityRunning(first.listening.url, early)), 20_000);

    // The second host asks for the hub; the first lets its running activities finish and hands it over.
    const second = await startHost(hub, 'two-second', { stepDelayMs: 400 });
    await eventually(async () => assert.equal(await ownsHub(second), true), 30_000);
    assert.equal(await ownsHub(first), false, 'the first host no longer works the hub');

    // Everything the non-owner accepts reaches the owner.
    const late = ['late-0', 'late-1'];
    for (const id of late) await startOrchestration(first.listening.url, 'resilientFlow', undefined, id);
    const viaOwner = await startOrchestration(second.listening.url, 'resilientFlow', undefined, 'via-owner');
    const pinged = await startOrchestration(first.listening.url, 'pingPong', undefined, 'pinged');
    const ended = await startOrchestration(first.listening.url, 'pingPong', undefined, 'ended');
    await waitForStatus(first.listening.url, pinged, (status) => status.runtimeStatus === 'Running', 20_000);
    assert.equal((await post(first.listening.url, `instances/${pinged}/raiseEvent/ping`, 'p1')).status, 202);
    assert.equal((await post(first.listening.url, `instances/${pinged}/raiseEvent/pong`, 'p2')).status, 202);
    await waitForStatus(first.listening.url, ended, (status) => status.runtimeStatus === 'Running', 20_000);
    assert.equal((await post(first.listening.url, `instances/${ended}/terminate?reason=enough`)).status, 202);

    for (const id of [...early, ...late, viaOwner]) {
      const status = await waitForStatus(first.listening.url, id, undefined, 60_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.deepEqual(status.output, outputOf(id));
    }
    const pingStatus = await waitForStatus(first.listening.url, pinged, undefined, 30_000);
    assert.deepEqual(pingStatus.output, ['p1', 'p2', 'no second ping']);
    assert.equal((await waitForStatus(first.listening.url, ended, undefined, 30_000)).runtimeStatus, 'Terminated');

    const runs = await countRuns([logOf('two-first'), logOf('two-second')]);
    for (const id of [...early, ...late, viaOwner]) {
      for (const step of steps(id)) assert.equal(runs.get(step), 1, `${step} ran ${runs.get(step) ?? 0} times`);
    }
  });

  it('a killed owner: the other host sees its process gone, takes the hub without waiting out its lease and completes the work', async () => {
    const hub = 'LeaseKilledOwner';
    // A lease far longer than the wait below: the hub must change hands because the owner is gone, not because its lease ran out.
    const leaseMs = 90_000;
    const waiting = await startHost(hub, 'kill-waiting', { stepDelayMs: 300, leaseMs });
    const owner = await startHost(hub, 'kill-owner', { stepDelayMs: 300, leaseMs });
    await eventually(async () => assert.equal(await ownsHub(owner), true), 30_000);
    assert.equal(await ownsHub(waiting), false);

    const ids = ['killed-0', 'killed-1', 'killed-2', 'killed-3'];
    for (const [index, id] of ids.entries()) await startOrchestration((index % 2 === 0 ? owner : waiting).listening.url, 'resilientFlow', undefined, id);
    await eventually(async () => assert.ok(await someActivityRunning(waiting.listening.url, ids)), 20_000);
    await owner.kill();

    await eventually(async () => assert.equal(await ownsHub(waiting), true), leaseMs / 3);
    for (const id of ids) {
      const status = await waitForStatus(waiting.listening.url, id, undefined, 60_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.deepEqual(status.output, outputOf(id));
    }
    const runs = await countRuns([logOf('kill-waiting'), logOf('kill-owner')]);
    for (const id of ids) for (const step of steps(id)) assert.ok((runs.get(step) ?? 0) >= 1, `${step} never ran`);
  });

  it('an owner whose store stalls past its lease stops working the hub; after the stall one owner goes on', async () => {
    const hub = 'LeaseStalledOwner';
    const leaseMs = 3_000;
    const healthy = await startHost(hub, 'stall-healthy', { leaseMs });
    const proxy = await StorageFaultProxy.start(azurite.port);
    proxies.push(proxy);
    const stalling = await startHost(hub, 'stall-owner', { leaseMs, storage: proxy.connectionString });
    await eventually(async () => assert.equal(await ownsHub(stalling), true), 30_000);

    const ids = ['stalled-0', 'stalled-1', 'stalled-2'];
    for (const id of ids) await startOrchestration(stalling.listening.url, 'resilientFlow', undefined, id);
    // Past its first step, each waits on its 1.5 s timer in the owner's memory when the store stalls.
    await eventually(async () => {
      for (const id of ids) assert.ok((await progressOf(healthy.listening.url, id)).includes('TimerCreated'), `${id} has not reached its timer`);
    }, 20_000);
    proxy.stall();
    try {
      // Its own clock tells the stalled owner to stop, before the lease expires for the other host.
      await eventually(async () => assert.equal(await ownsHub(stalling), false), leaseMs * 3);
      const ranWhenItStopped = totalOf(await countRuns([logOf('stall-owner')]));
      await eventually(async () => assert.equal(await ownsHub(healthy), true), leaseMs * 5);
      // The stall outlasts the timers: the stalled host must not act on them.
      await eventually(async () => {
        for (const id of ids) assert.ok((await progressOf(healthy.listening.url, id)).includes('TimerFired'), `${id}'s timer has not fired`);
      }, 20_000);
      assert.equal(totalOf(await countRuns([logOf('stall-owner')])), ranWhenItStopped, 'the stalled host ran activities after it stopped owning the hub');
    } finally {
      await proxy.resume();
    }

    for (const id of ids) {
      const status = await waitForStatus(healthy.listening.url, id, undefined, 60_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.deepEqual(status.output, outputOf(id));
    }
    // Its late writes landed; it neither took the hub back nor worked it.
    const stalledRuns = await countRuns([logOf('stall-owner')]);
    for (const id of ids) for (const step of steps(id).slice(1)) assert.equal(stalledRuns.get(step), undefined, `${step} ran on the stalled host`);
    assert.equal(await ownsHub(stalling), false);
    assert.equal(await ownsHub(healthy), true);
  });
});

async function ownsHub(host: HostProcess): Promise<boolean> {
  const response = await fetch(`${host.listening.url}/admin/host/status`);
  const body = await response.json() as { durable?: { ownsTaskHub?: boolean } };
  return body.durable?.ownsTaskHub === true;
}

async function progressOf(url: string, id: string): Promise<string[]> {
  const { body } = await readStatus(url, id, '?showHistory=true');
  return (body?.historyEvents ?? []).map((event) => String(event['EventType']));
}

/** An activity is scheduled and unanswered (the status API folds a TaskScheduled into its result). */
async function someActivityRunning(url: string, ids: readonly string[]): Promise<boolean> {
  for (const id of ids) if ((await progressOf(url, id)).includes('TaskScheduled')) return true;
  return false;
}

async function countRuns(files: readonly string[]): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    for (const line of text.split('\n').filter((entry) => entry !== '')) runs.set(line, (runs.get(line) ?? 0) + 1);
  }
  return runs;
}

function totalOf(runs: ReadonlyMap<string, number>): number {
  return [...runs.values()].reduce((total, count) => total + count, 0);
}
