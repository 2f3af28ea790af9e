/**
 * GET /admin/instances on a real front door, answered from real Instances rows of several apps'
 * task hubs in Azurite, with the version map in real Table storage beside them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { serveFrontDoor, type RunningFrontDoor } from '../../../router/front-door/serve-front-door.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { escapeKey, trackingTableNames, type RuntimeStatus } from '../../../shared/tracking-store/tracking-store-schema.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { createTrackingReader, createVersionMapStore } from '../front-door/fixtures/stores.js';
import { taskHubOf, versionEntry, versionMap } from '../front-door/fixtures/version-maps.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';

interface Described {
  instanceId: string; name: string; routeKey: string; version: string | null; runtimeStatus: string; createdTime: string; lastUpdatedTime: string; taskHub: string;
}
interface Answer { instances: Described[]; continuationToken: string | null }

const adminKey = 'instances-route-admin-key';
const azurite = await startAzuriteForTests();
const base = new Date('2026-05-01T10:00:00.000Z');
const rows: { id: string; hub: string; status: RuntimeStatus; name: string; minute: number }[] = [
  { id: 'order-1', hub: taskHubOf('1.0'), status: 'Running', name: 'processOrder', minute: 0 },
  { id: 'order-2', hub: taskHubOf('1.0'), status: 'Completed', name: 'processOrder', minute: 1 },
  { id: 'monitor-1', hub: taskHubOf('1.0'), status: 'Pending', name: 'inventoryMonitor', minute: 2 },
  { id: 'order-3', hub: taskHubOf('1.1'), status: 'Running', name: 'processOrder', minute: 3 },
  { id: 'order-4', hub: taskHubOf('1.1'), status: 'Failed', name: 'processOrder', minute: 4 },
  { id: 'order/5', hub: taskHubOf('1.1'), status: 'Suspended', name: 'processOrder', minute: 5 },
  { id: 'old-1', hub: taskHubOf('0.9'), status: 'Completed', name: 'processOrder', minute: 6 },
  { id: 'release-1.1.0-abc', hub: 'localcontrol', status: 'Completed', name: 'release', minute: 7 },
];
const minute = (n: number): Date => new Date(base.getTime() + n * 60_000);

describe('GET /admin/instances', () => {
  let frontDoor: RunningFrontDoor;

  before(async () => {
    const table = createTableClient(azurite.connectionString, trackingTableNames('DurableTask').instances);
    await table.createTable();
    await Promise.all(rows.map((row) => table.createEntity({
      partitionKey: escapeKey(row.id), rowKey: '', Name: row.name, RuntimeStatus: row.status, CreatedTime: minute(row.minute),
      LastUpdatedTime: minute(row.minute + 10), ExecutionId: `e-${row.id}`, TaskHubName: row.hub,
    })));
    const store = await createVersionMapStore(azurite.connectionString, versionMap(
      '1.1',
      versionEntry('0.9', 'decommissioned', ['0.9.0']),
      versionEntry('1.0', 'draining', ['1.0.0', '1.0.1']),
      versionEntry('1.1', 'active', ['1.1.0']),
    ));
    frontDoor = await serveFrontDoor({ port: 0, store, trackingStore: createTrackingReader(azurite.connectionString), adminKey, routerKeys: testRouterKeys, logger: false, handleSignals: false });
  });

  after(async () => {
    await frontDoor?.close();
  });

  async function list(query = '', key = adminKey): Promise<{ status: number; body: Answer & { error?: { code: string; message: string } } }> {
    const response = await request(`${frontDoor.url}/admin/instances${query}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.statusCode, body: (await response.body.json()) as Answer & { error?: { code: string; message: string } } };
  }

  const expectedIds = (keep: (row: (typeof rows)[number]) => boolean): string[] => rows.filter(keep).map((row) => row.id).sort();

  it('lists the instances of every version in the map, with their version, and not the control plane\'s own', async () => {
    const { status, body } = await list();
    assert.equal(status, 200);
    assert.equal(body.continuationToken, null);
    assert.deepEqual(body.instances.map((instance) => instance.instanceId), expectedIds((row) => row.hub !== 'localcontrol'));
    assert.deepEqual(body.instances.find((instance) => instance.instanceId === 'order/5'), {
      instanceId: 'order/5', name: 'processOrder', routeKey: '1.1', version: '1.1.0', runtimeStatus: 'Suspended',
      createdTime: minute(5).toISOString(), lastUpdatedTime: minute(15).toISOString(), taskHub: taskHubOf('1.1'),
    });
    const patched = body.instances.find((instance) => instance.instanceId === 'order-1');
    assert.deepEqual([patched?.routeKey, patched?.version], ['1.0', null], 'two patches ran on the 1.0 app: which one is not known');
    assert.equal(body.instances.find((instance) => instance.instanceId === 'old-1')?.routeKey, '0.9', 'a decommissioned version\'s instances stay listed');
  });

  it('filters by version (major.minor or full), status, name and created range', async () => {
    assert.deepEqual((await list('?version=1.0')).body.instances.map((i) => i.instanceId), expectedIds((row) => row.hub === taskHubOf('1.0')));
    assert.deepEqual((await list('?version=1.0.1')).body.instances.map((i) => i.instanceId), expectedIds((row) => row.hub === taskHubOf('1.0')));
    assert.deepEqual((await list('?status=running,Pending')).body.instances.map((i) => i.instanceId), expectedIds((row) => row.status === 'Running' || row.status === 'Pending'));
    assert.deepEqual((await list('?name=inventoryMonitor')).body.instances.map((i) => i.instanceId), ['monitor-1']);
    const range = `?createdFrom=${encodeURIComponent(minute(1).toISOString())}&createdTo=${encodeURIComponent(minute(4).toISOString())}`;
    assert.deepEqual((await list(range)).body.instances.map((i) => i.instanceId), expectedIds((row) => row.minute >= 1 && row.minute <= 4));
    assert.deepEqual((await list('?version=1.1&status=Running&name=processOrder')).body.instances.map((i) => i.instanceId), ['order-3']);
  });

  it('pages with top and the continuation token', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const { status, body }: { status: number; body: Answer } = await list(`?top=2${token === null ? '' : `&continuationToken=${encodeURIComponent(token)}`}`);
      assert.equal(status, 200);
      assert.ok(body.instances.length <= 2);
      seen.push(...body.instances.map((instance) => instance.instanceId));
      token = body.continuationToken;
      pages += 1;
    } while (token !== null);
    assert.deepEqual(seen, expectedIds((row) => row.hub !== 'localcontrol'));
    assert.ok(pages >= 4, `${pages} pages`);
  });

  it('refuses a bad query with the reason, an unknown version with 404, and a wrong key with 401', async () => {
    const refusals: [string, number, string, RegExp][] = [
      ['?status=Sleeping', 400, 'INVALID_REQUEST', /"Sleeping" is not a runtime status/],
      ['?top=0', 400, 'INVALID_REQUEST', /top must be a whole number from 1 to 1000/],
      ['?top=1001', 400, 'INVALID_REQUEST', /top must be/],
      ['?createdFrom=yesterday', 400, 'INVALID_REQUEST', /createdFrom "yesterday" is not an ISO 8601 date/],
      ['?createdFrom=2026-05-02&createdTo=2026-05-01', 400, 'INVALID_REQUEST', /createdFrom is after createdTo/],
      ['?versoin=1.0', 400, 'INVALID_REQUEST', /Unknown query parameter "versoin"/],
      ['?version=1.0&version=1.1', 400, 'INVALID_REQUEST', /Give version once/],
      ['?continuationToken=forged', 400, 'INVALID_REQUEST', /continuation token/],
      ['?version=banana', 400, 'INVALID_VERSION', /banana/],
      ['?version=2.0', 404, 'VERSION_NOT_FOUND', /known versions: 0\.9, 1\.0, 1\.1/],
    ];
    for (const [query, status, code, message] of refusals) {
      const answer = await list(query);
      assert.equal(answer.status, status, `${query}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error?.code, code, query);
      assert.match(answer.body.error?.message ?? '', message, query);
    }
    const unauthorized = await list('', 'not-the-admin-key-at-all');
    assert.deepEqual([unauthorized.status, unauthorized.body.error?.code], [401, 'UNAUTHORIZED']);
  });
});
