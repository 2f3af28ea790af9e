import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { TrackingStoreReader } from '../../../shared/tracking-store/tracking-store-reader.js';
import { escapeKey, trackingTableNames, type InstanceRow, type RuntimeStatus } from '../../../shared/tracking-store/tracking-store-schema.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests();
let prefixes = 0;
const freshPrefix = (): string => `Reader${++prefixes}`;
const created = new Date('2026-05-01T10:00:00.000Z');

/** Writes Instances rows as DurableTask.AzureStorage does. */
async function writeInstances(prefix: string, rows: { id: string; hub: string; status: RuntimeStatus; name?: string }[]): Promise<void> {
  const table = createTableClient(azurite.connectionString, trackingTableNames(prefix).instances);
  await table.createTable();
  await Promise.all(rows.map(({ id, hub, status, name }) => {
    const row: InstanceRow = {
      partitionKey: escapeKey(id), rowKey: '', Name: name ?? 'Hello', Version: '', Input: '"in"', RuntimeStatus: status,
      CreatedTime: created, LastUpdatedTime: created, ExecutionId: `exec-${id}`, TaskHubName: hub,
    };
    return table.createEntity({ ...row });
  }));
}

describe('TrackingStoreReader', () => {
  it('treats a missing Instances table as no instances', async () => {
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix: freshPrefix() });
    assert.equal(await reader.getInstance('nope'), undefined);
    assert.deepEqual(await reader.countActive('HubA'), { pending: 0, running: 0, suspended: 0 });
  });

  it('reads an instance by its id, however the id must be escaped', async () => {
    const prefix = freshPrefix();
    const ids = ['plain', 'a/b\\c#d?e^f', '^0^1 already-escaped-looking', 'ünïcødé-🚀'];
    await writeInstances(prefix, ids.map((id, index) => ({ id, hub: `Hub${index}`, status: 'Running' as const, name: `Orchestrator${index}` })));
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix });
    for (const [index, id] of ids.entries()) {
      assert.deepEqual(await reader.getInstance(id), { instanceId: id, name: `Orchestrator${index}`, taskHub: `Hub${index}`, runtimeStatus: 'Running', createdTime: created });
    }
    assert.equal(await reader.getInstance('a/b'), undefined);
  });

  it('uses the default DurableTask prefix', async () => {
    await writeInstances('DurableTask', [{ id: 'default-prefix-instance', hub: 'HubD', status: 'Completed' }]);
    const found = await new TrackingStoreReader(azurite.connectionString).getInstance('default-prefix-instance');
    assert.equal(found?.taskHub, 'HubD');
  });

  it('counts the unfinished instances of one task hub, across pages', async () => {
    const prefix = freshPrefix();
    const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Running', 'Suspended', 'Completed', 'Failed', 'Terminated', 'Canceled', 'ContinuedAsNew', 'Running', 'Pending'];
    await writeInstances(prefix, [
      ...statuses.map((status, index) => ({ id: `a-${index}`, hub: 'HubA', status })),
      ...statuses.map((status, index) => ({ id: `b-${index}`, hub: 'HubB', status })),
      { id: 'c-0', hub: "Hub'C", status: 'Running' },
    ]);
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix, pageSize: 2 });
    assert.deepEqual(await reader.countActive('HubA'), { pending: 2, running: 3, suspended: 1 });
    assert.deepEqual(await reader.countActive("Hub'C"), { pending: 0, running: 1, suspended: 0 });
    assert.deepEqual(await reader.countActive('HubZ'), { pending: 0, running: 0, suspended: 0 });
  });

  it('refuses a row that is not in the DurableTask schema', async () => {
    const prefix = freshPrefix();
    const table = createTableClient(azurite.connectionString, trackingTableNames(prefix).instances);
    await table.createTable();
    await table.createEntity({ partitionKey: 'odd', rowKey: '', Name: 'X', TaskHubName: 'Hub', RuntimeStatus: 'Sleeping', CreatedTime: created });
    await assert.rejects(new TrackingStoreReader(azurite.connectionString, { prefix }).getInstance('odd'), (error) => {
      assert.ok(isRouterError(error, 'INTERNAL'));
      assert.match(error.message, new RegExp(`The ${prefix}Instances row of instance "odd" is not in the DurableTask schema`));
      return true;
    });
  });

  it('fails with STORE_UNAVAILABLE when storage cannot be reached', async () => {
    const unreachable = azurite.connectionString.replace(`:${azurite.port}/`, ':1/');
    const reader = new TrackingStoreReader(unreachable, { clientOptions: { retryOptions: { maxRetries: 0 } } });
    await assert.rejects(reader.getInstance('x'), (error) => isRouterError(error, 'STORE_UNAVAILABLE'));
    await assert.rejects(reader.countActive('HubA'), (error) => isRouterError(error, 'STORE_UNAVAILABLE'));
  });
});
