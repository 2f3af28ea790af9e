/**
 * An episode of more than 99 history rows is checkpointed in several transactions. A host killed
 * (SIGKILL) between them must neither replay the unfinished episode as history nor apply its
 * messages twice: the next host runs the episode again from the last complete checkpoint. Storage
 * is stalled (a proxy stops forwarding) as the host sends the episode's last transaction, so the
 * kill lands in that window.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../e2e/host-process.js';
import { repositoryRoot } from '../fixture-apps.js';
import { post, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';
import { readHistoryPartition, waitFor, type HistoryPartition } from './fixtures/history-table.js';
import { StorageFaultProxy } from '../../../fixtures/storage-fault-proxy.js';

const azurite = await startAzuriteForTests();
const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const width = 120;
const sum = (width * (width - 1)) / 2;

describe('a host killed between the transactions of one checkpoint', () => {
  const hosts: HostProcess[] = [];
  const proxies: StorageFaultProxy[] = [];
  after(async () => {
    for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) await host.stop();
    for (const proxy of proxies) await proxy.close();
  });

  /** A host whose storage stalls once the first checkpoint in several transactions reaches its last one. */
  async function hostStallingAtLastTransaction(hub: string): Promise<{ host: HostProcess; proxy: StorageFaultProxy }> {
    const proxy = await StorageFaultProxy.start(azurite.port);
    proxies.push(proxy);
    let partialSent = false;
    proxy.stallWhen((request) => {
      if (request.includes('"IsCheckpointComplete":false')) partialSent = true;
      return partialSent && request.includes('"IsCheckpointComplete":true');
    });
    const host = await startHostProcess({ appDir, env: { ...environment(hub), AzureWebJobsStorage: proxy.connectionString } });
    hosts.push(host);
    return { host, proxy };
  }

  async function killInTheWindowAndRestart(hub: string, id: string, stalling: { host: HostProcess; proxy: StorageFaultProxy }): Promise<HostProcess> {
    await waitFor('the stall after a partial checkpoint', async () => {
      await Promise.race([stalling.proxy.stallBegan, new Promise((resolve) => setTimeout(resolve, 50))]);
      return (await history(hub, id)).sentinel?.['IsCheckpointComplete'] === false;
    });
    await stalling.host.kill();
    const next = await startHostProcess({ appDir, env: { ...environment(hub), AzureWebJobsStorage: azurite.connectionString } });
    hosts.push(next);
    return next;
  }

  it('runs the episode again from the last complete checkpoint and applies its event once', async () => {
    const hub = 'PartialHub';
    const stalling = await hostStallingAtLastTransaction(hub);
    const id = await startOrchestration(stalling.host.listening.url, 'wideFanOut', undefined, 'wide-1');
    await waitFor('the orchestration to wait for its event', async () => (await history(hub, id)).sentinel?.['IsCheckpointComplete'] === true);
    const raised = await post(stalling.host.listening.url, `instances/${id}/raiseEvent/go`, { width, value: 'once' });
    assert.equal(raised.status, 202, await raised.text());
    const next = await killInTheWindowAndRestart(hub, id, stalling);

    const status = await waitForStatus(next.listening.url, id, undefined, 60_000);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { go: 'once', sum });
    const { sentinel, events } = await history(hub, id);
    assert.equal(sentinel?.['IsCheckpointComplete'], true);
    assert.equal(count(events, 'EventRaised'), 1, 'the event is in the history once');
    assert.equal(count(events, 'TaskScheduled'), width);
    assert.equal(count(events, 'TaskCompleted'), width);
    assert.equal(count(events, 'ExecutionStarted'), 1);
    // Each episode's rows follow one OrchestratorStarted: a replayed half episode would break the pairs.
    assert.equal(count(events, 'OrchestratorStarted'), count(events, 'OrchestratorCompleted'));
  });

  it('starts again an execution whose first episode (after continue-as-new) did not finish checkpointing', async () => {
    const hub = 'PartialNewHub';
    const stalling = await hostStallingAtLastTransaction(hub);
    const id = await startOrchestration(stalling.host.listening.url, 'wideAfterContinue', { round: 0, width }, 'wide-2');
    const next = await killInTheWindowAndRestart(hub, id, stalling);

    const status = await waitForStatus(next.listening.url, id, undefined, 60_000);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { round: 1, sum });
    const { events } = await history(hub, id);
    assert.equal(count(events, 'ExecutionStarted'), 1);
    assert.equal(count(events, 'TaskScheduled'), width);
    assert.equal(count(events, 'TaskCompleted'), width);
    assert.equal(count(events, 'OrchestratorStarted'), count(events, 'OrchestratorCompleted'));
  });
});

function environment(hub: string): Record<string, string> {
  return { ...baseEnvironment(), DURABLE_FIXTURE_HUB: hub, LOG_LEVEL: 'warn' };
}

function history(hub: string, id: string): Promise<HistoryPartition> {
  return readHistoryPartition(azurite.connectionString, `${hub}History`, id);
}

function count(events: HistoryPartition['events'], type: string): number {
  return events.filter((event) => event['EventType'] === type).length;
}
