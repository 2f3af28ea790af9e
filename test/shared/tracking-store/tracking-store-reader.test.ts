import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import type { InstanceQuery } from '../../../shared/tracking-store/instance-query.js';
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

  it('counts the unfinished orchestrations of one task hub, across pages, leaving out entities (they never finish)', async () => {
    const prefix = freshPrefix();
    const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Running', 'Suspended', 'Completed', 'Failed', 'Terminated', 'Canceled', 'ContinuedAsNew', 'Running', 'Pending'];
    await writeInstances(prefix, [
      ...statuses.map((status, index) => ({ id: `a-${index}`, hub: 'HubA', status })),
      ...statuses.map((status, index) => ({ id: `b-${index}`, hub: 'HubB', status })),
      { id: 'c-0', hub: "Hub'C", status: 'Running' },
      { id: '@ordercounter@completed', hub: 'HubA', status: 'Running', name: 'ordercounter' },
      { id: '@ordercounter@pending', hub: 'HubA', status: 'Pending', name: 'ordercounter' },
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

describe('TrackingStoreReader.queryInstances', () => {
  const minute = 60_000;
  const at = (minutes: number): Date => new Date(created.getTime() + minutes * minute);

  const versionOf = (id: string): string | undefined => (id.endsWith('/0') ? undefined : id.endsWith('/1') ? '' : `1.${id.slice(-1)}.0`);

  /** Two hubs' instances, created a minute apart, with a mix of names and statuses. */
  async function twoHubs(): Promise<{ prefix: string; rows: { id: string; hub: string; status: RuntimeStatus; name: string; createdTime: Date }[] }> {
    const prefix = freshPrefix();
    const statuses: RuntimeStatus[] = ['Running', 'Completed', 'Pending', 'Failed', 'Running', 'Suspended', 'Terminated'];
    const rows = ['HubA', 'HubB'].flatMap((hub, h) => statuses.map((status, i) => ({
      id: `${hub === 'HubA' ? 'a' : 'b'}/${i}`, hub, status, name: i % 2 === 0 ? 'processOrder' : 'inventoryMonitor', createdTime: at(i * 2 + h),
    })));
    const table = createTableClient(azurite.connectionString, trackingTableNames(prefix).instances);
    await table.createTable();
    await Promise.all(rows.map((row) => table.createEntity({
      partitionKey: escapeKey(row.id), rowKey: '', Name: row.name, RuntimeStatus: row.status, CreatedTime: row.createdTime,
      LastUpdatedTime: new Date(row.createdTime.getTime() + 1000), ExecutionId: `exec-${row.id}`, TaskHubName: row.hub,
      // Apps that record no version leave the column out, or empty.
      ...(versionOf(row.id) === undefined ? {} : { Version: versionOf(row.id) }),
    })));
    return { prefix, rows };
  }

  /** Every page, following the tokens; checks no page is larger than asked. */
  async function allPages(reader: TrackingStoreReader, query: Omit<InstanceQuery, 'continuationToken'>): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await reader.queryInstances({ ...query, continuationToken: token });
      assert.ok(page.instances.length <= query.top, `a page of ${page.instances.length} for top ${query.top}`);
      ids.push(...page.instances.map((instance) => instance.instanceId));
      token = page.continuationToken;
      pages += 1;
    } while (token !== undefined);
    return { ids, pages };
  }

  it('answers every field of the instances of the hubs asked for, in instance id order', async () => {
    const { prefix, rows } = await twoHubs();
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix });
    const page = await reader.queryInstances({ taskHubs: ['HubB'], top: 100 });
    assert.equal(page.continuationToken, undefined);
    const expected = rows.filter((row) => row.hub === 'HubB').sort((x, y) => x.id.localeCompare(y.id)).map((row) => ({
      instanceId: row.id, name: row.name, taskHub: 'HubB', runtimeStatus: row.status, createdTime: row.createdTime,
      lastUpdatedTime: new Date(row.createdTime.getTime() + 1000), version: versionOf(row.id) ?? '',
    }));
    assert.deepEqual(page.instances, expected);
    const both = await reader.queryInstances({ taskHubs: ['HubA', 'HubB'], top: 100 });
    assert.equal(both.instances.length, rows.length);
    assert.deepEqual(await reader.queryInstances({ taskHubs: [], top: 100 }), { instances: [], continuationToken: undefined });
  });

  it('filters by status, name and created range together', async () => {
    const { prefix, rows } = await twoHubs();
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix });
    const query = { taskHubs: ['HubA', 'HubB'], statuses: ['Running', 'Pending'] as RuntimeStatus[], name: 'processOrder', createdFrom: at(1), createdTo: at(8), top: 100 };
    const expected = rows.filter((row) => ['Running', 'Pending'].includes(row.status) && row.name === 'processOrder'
      && row.createdTime >= at(1) && row.createdTime <= at(8)).map((row) => row.id).sort();
    assert.ok(expected.length >= 2, 'the data exercises the filter');
    assert.deepEqual((await reader.queryInstances(query)).instances.map((instance) => instance.instanceId), expected);
    const bounds = await reader.queryInstances({ taskHubs: ['HubA'], createdFrom: at(0), createdTo: at(0), top: 100 });
    assert.deepEqual(bounds.instances.map((instance) => instance.instanceId), ['a/0'], 'both ends of the range are inclusive');
  });

  it('pages with continuation tokens: every instance exactly once, whatever the page size', async () => {
    const { prefix, rows } = await twoHubs();
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix });
    const everyId = rows.map((row) => row.id).sort();
    for (const top of [1, 3, 14, 1000]) {
      const { ids, pages } = await allPages(reader, { taskHubs: ['HubA', 'HubB'], top });
      assert.deepEqual(ids, everyId, `top ${top}`);
      assert.ok(pages >= Math.ceil(everyId.length / top), `top ${top}: ${pages} pages`);
    }
    const running = await allPages(reader, { taskHubs: ['HubA', 'HubB'], statuses: ['Running'], top: 1 });
    assert.deepEqual(running.ids, rows.filter((row) => row.status === 'Running').map((row) => row.id).sort());
  });

  it('treats a missing table as no instances, and refuses a token it did not give out', async () => {
    const reader = new TrackingStoreReader(azurite.connectionString, { prefix: freshPrefix() });
    assert.deepEqual(await reader.queryInstances({ taskHubs: ['HubA'], top: 10 }), { instances: [], continuationToken: undefined });
    await assert.rejects(reader.queryInstances({ taskHubs: ['HubA'], top: 10, continuationToken: 'not-a-token' }), (error) => isRouterError(error, 'INVALID_REQUEST'));
  });

  it('fails with STORE_UNAVAILABLE when storage cannot be reached', async () => {
    const unreachable = azurite.connectionString.replace(`:${azurite.port}/`, ':1/');
    const reader = new TrackingStoreReader(unreachable, { clientOptions: { retryOptions: { maxRetries: 0 } } });
    await assert.rejects(reader.queryInstances({ taskHubs: ['HubA'], top: 10 }), (error) => isRouterError(error, 'STORE_UNAVAILABLE'));
  });
});
