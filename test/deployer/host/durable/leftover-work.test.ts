/**
 * A consumed work message whose deletion keeps failing stays in the work table. It must never be
 * applied again: not when later episodes checkpoint, not after the host is killed and restarted.
 * The failures are real: a proxy resets the host's connections that carry deletions from the
 * work table.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../e2e/host-process.js';
import { repositoryRoot } from '../fixture-apps.js';
import { post, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';
import { countWorkRows, readHistoryPartition, waitFor } from './fixtures/history-table.js';
import { StorageFaultProxy } from '../../../fixtures/storage-fault-proxy.js';

const azurite = await startAzuriteForTests();
const proxy = await StorageFaultProxy.start(azurite.port);
after(() => proxy.close());
const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');

describe('a consumed work message that cannot be deleted', () => {
  const hosts: HostProcess[] = [];
  after(async () => {
    for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) await host.stop();
  });

  it('is recognised and deleted after a restart, never applied again', async () => {
    const env = { ...baseEnvironment(), DURABLE_FIXTURE_HUB: 'LeftoverHub', LOG_LEVEL: 'error' };
    const first = await startHostProcess({ appDir, env: { ...env, AzureWebJobsStorage: proxy.connectionString } });
    hosts.push(first);
    const url = first.listening.url;
    const id = await startOrchestration(url, 'pingPong', undefined, 'pp-1');
    const checkpointed = async (eventName: string): Promise<boolean> => {
      const { sentinel, events } = await readHistoryPartition(azurite.connectionString, 'LeftoverHubHistory', id);
      return sentinel?.['IsCheckpointComplete'] === true && events.some((event) => event['EventType'] === 'EventRaised' && event['Name'] === eventName);
    };
    await waitFor('the orchestration to start', async () => (await readHistoryPartition(azurite.connectionString, 'LeftoverHubHistory', id)).events.length > 0);

    // Single deletions and deletions in a batch transaction alike.
    proxy.resetWhen((request) => /DELETE \S*\/devstoreaccount1\/LeftoverHubWork\(/.test(request));
    assert.equal((await post(url, `instances/${id}/raiseEvent/ping`, 'first ping')).status, 202);
    await waitFor('the ping to be checkpointed and its deletion to fail', async () => (await checkpointed('ping')) && proxy.resets > 0);
    assert.equal((await post(url, `instances/${id}/raiseEvent/pong`, 'pong')).status, 202);
    await waitFor('the pong to be checkpointed', () => checkpointed('pong'), 90_000);
    assert.ok(await countWorkRows(azurite.connectionString, 'LeftoverHubWork', id) >= 1, 'the ping is still in the work table');
    await first.kill();

    proxy.resetWhen(undefined);
    const second = await startHostProcess({ appDir, env: { ...env, AzureWebJobsStorage: azurite.connectionString } });
    hosts.push(second);
    const status = await waitForStatus(second.listening.url, id, undefined, 60_000);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, ['first ping', 'pong', 'no second ping']);
    await waitFor('the leftover messages to be deleted', async () => (await countWorkRows(azurite.connectionString, 'LeftoverHubWork', id)) === 0, 10_000);
  });
});
