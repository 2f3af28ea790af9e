/**
 * An episode of more than 99 history rows is checkpointed in several transactions. A host killed
 * (SIGKILL) between them must neither replay the unfinished episode as history nor apply its
 * messages twice: the next host runs the episode again from the last complete checkpoint.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../e2e/host-process.js';
import { repositoryRoot } from '../fixture-apps.js';
import { post, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';
import { readHistoryPartition, waitFor } from './fixtures/history-table.js';
import { startStorageFaultProxy } from './fixtures/storage-fault-proxy.js';

const azurite = await startAzuriteForTests();
const proxy = await startStorageFaultProxy(azurite.port);
after(() => proxy.close());
const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const width = 120;

describe('a host killed between the transactions of one checkpoint', () => {
  const hosts: HostProcess[] = [];
  after(async () => {
    for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) await host.stop();
  });

  it('runs the episode again from the last complete checkpoint and applies its event once', async () => {
    const env = { ...baseEnvironment(), DURABLE_FIXTURE_HUB: 'PartialHub', LOG_LEVEL: 'warn' };
    const first = await startHostProcess({ appDir, env: { ...env, AzureWebJobsStorage: proxy.connectionString } });
    hosts.push(first);
    const id = await startOrchestration(first.listening.url, 'wideFanOut', undefined, 'wide-1');
    await waitFor('the orchestration to wait for its event', async () => (await readHistoryPartition(azurite.connectionString, 'PartialHubHistory', id)).sentinel?.['IsCheckpointComplete'] === true);

    // Storage stops answering the host as it sends the last transaction of the episode the event starts.
    let partialSent = false;
    proxy.stallWhen((request) => {
      if (request.includes('"IsCheckpointComplete":false')) partialSent = true;
      return partialSent && request.includes('"IsCheckpointComplete":true');
    });
    const raised = await post(first.listening.url, `instances/${id}/raiseEvent/go`, { width, value: 'once' });
    assert.equal(raised.status, 202, await raised.text());
    await waitFor('the stall', async () => {
      await Promise.race([proxy.stalled, new Promise((resolve) => setTimeout(resolve, 50))]);
      return (await readHistoryPartition(azurite.connectionString, 'PartialHubHistory', id)).sentinel?.['IsCheckpointComplete'] === false;
    });
    await first.kill();

    const second = await startHostProcess({ appDir, env: { ...env, AzureWebJobsStorage: azurite.connectionString } });
    hosts.push(second);
    const status = await waitForStatus(second.listening.url, id, undefined, 60_000);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { go: 'once', sum: (width * (width - 1)) / 2 });

    const { sentinel, events } = await readHistoryPartition(azurite.connectionString, 'PartialHubHistory', id);
    assert.equal(sentinel?.['IsCheckpointComplete'], true);
    const count = (type: string): number => events.filter((event) => event['EventType'] === type).length;
    assert.equal(count('EventRaised'), 1, 'the event is in the history once');
    assert.equal(count('TaskScheduled'), width);
    assert.equal(count('TaskCompleted'), width);
    assert.equal(count('ExecutionStarted'), 1);
    // Each episode's rows follow one OrchestratorStarted: a replayed half episode would break the pairs.
    assert.equal(count('OrchestratorStarted'), count('OrchestratorCompleted'));
  });
});
