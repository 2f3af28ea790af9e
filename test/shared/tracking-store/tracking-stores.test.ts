import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { escapeKey, trackingTableNames, type InstanceRow, type RuntimeStatus } from '../../../shared/tracking-store/tracking-store-schema.js';
import { TrackingStores } from '../../../shared/tracking-store/tracking-stores.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { versionEntry } from '../../router/front-door/fixtures/version-maps.js';

const azurite = await startAzuriteForTests();
const created = new Date('2026-05-01T10:00:00.000Z');
let stores = 0;

async function writeInstances(prefix: string, rows: { id: string; hub: string; status: RuntimeStatus }[]): Promise<void> {
  const table = createTableClient(azurite.connectionString, trackingTableNames(prefix).instances);
  await table.createTable();
  await Promise.all(rows.map(({ id, hub, status }) => {
    const row: InstanceRow = {
      partitionKey: escapeKey(id), rowKey: '', Name: 'Hello', Version: '', Input: '""', RuntimeStatus: status,
      CreatedTime: created, LastUpdatedTime: created, ExecutionId: `exec-${id}`, TaskHubName: hub,
    };
    return table.createEntity({ ...row });
  }));
}

/** A shared store with 1.0's instances and 1.1's own store, as a release that isolated 1.1 leaves them. */
async function twoStores(): Promise<{ stores: TrackingStores; versionMaps: MemoryVersionMapStore; shared: string; own: string }> {
  const shared = `Shared${++stores}`;
  const own = `${shared}V1x1`;
  await writeInstances(shared, [{ id: 'a-1', hub: 'Hub1x0', status: 'Running' }, { id: 'a-2', hub: 'Hub1x0', status: 'Completed' }, { id: '@counter@k', hub: 'Hub1x0', status: 'Running' }]);
  await writeInstances(own, [{ id: 'b-1', hub: 'Hub1x1', status: 'Running' }, { id: 'b-2', hub: 'Hub1x1', status: 'Suspended' }, { id: '@counter@k', hub: 'Hub1x1', status: 'Running' }]);
  const isolated = versionEntry('1.1', 'active', ['1.1.0']);
  const map: VersionMap = { current: '1.0', versions: [versionEntry('1.0', 'active', ['1.0.0']), { ...isolated, app: { ...isolated.app, trackingStore: own } }] };
  const versionMaps = new MemoryVersionMapStore(map);
  return { stores: new TrackingStores(azurite.connectionString, { prefix: shared, versionMaps }), versionMaps, shared, own };
}

describe('TrackingStores: the shared tracking store and the versions\' own', () => {
  it('finds an instance in whichever store holds it, the shared one first', async () => {
    const { stores } = await twoStores();
    assert.equal((await stores.getInstance('a-1'))?.taskHub, 'Hub1x0');
    assert.equal((await stores.getInstance('b-2'))?.taskHub, 'Hub1x1');
    assert.equal((await stores.getInstance('@counter@k'))?.taskHub, 'Hub1x0', 'one entity id in two stores: the shared one answers');
    assert.equal(await stores.getInstance('nowhere'), undefined);
  });

  it('reads the map again when an instance is found nowhere, so a store recorded a moment ago is searched', async () => {
    const { stores, versionMaps, shared } = await twoStores();
    assert.equal(await stores.getInstance('c-1'), undefined);
    const newer = `${shared}V1x2`;
    await writeInstances(newer, [{ id: 'c-1', hub: 'Hub1x2', status: 'Running' }]);
    const entry = versionEntry('1.2', 'active', ['1.2.0']);
    await versionMaps.update((map) => ({ ...map, versions: [...map.versions, { ...entry, app: { ...entry.app, trackingStore: newer } }] }));
    assert.equal((await stores.getInstance('c-1'))?.taskHub, 'Hub1x2');
  });

  it('counts a task hub\'s unfinished orchestrations in its own store', async () => {
    const { stores } = await twoStores();
    assert.deepEqual(await stores.countActive('Hub1x0'), { pending: 0, running: 1, suspended: 0 });
    assert.deepEqual(await stores.countActive('Hub1x1'), { pending: 0, running: 1, suspended: 1 });
  });

  it('pages through every store the queried task hubs write, one after the other', async () => {
    const { stores } = await twoStores();
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await stores.queryInstances({ taskHubs: ['Hub1x0', 'Hub1x1'], top: 2, continuationToken: token });
      assert.ok(page.instances.length <= 2);
      ids.push(...page.instances.map((instance) => instance.instanceId));
      token = page.continuationToken;
      pages += 1;
    } while (token !== undefined && pages < 10);
    assert.deepEqual(ids.sort(), ['@counter@k', '@counter@k', 'a-1', 'a-2', 'b-1', 'b-2']);
    const onlyOwn = await stores.queryInstances({ taskHubs: ['Hub1x1'], top: 10, statuses: ['Suspended'] });
    assert.deepEqual(onlyOwn.instances.map((instance) => instance.instanceId), ['b-2']);
    assert.equal(onlyOwn.continuationToken, undefined);
  });

  it('refuses a continuation token it did not hand out', async () => {
    const { stores } = await twoStores();
    await assert.rejects(stores.queryInstances({ taskHubs: ['Hub1x0'], top: 2, continuationToken: 'bm90LWEtdG9rZW4' }), /continuationToken/);
  });
});
