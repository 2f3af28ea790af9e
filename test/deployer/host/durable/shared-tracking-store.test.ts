/**
 * Two apps with different task hubs sharing one tracking store (trackingStoreConnectionName +
 * trackingStoreNamePrefix), as on Azure: one Instances and one History table for both, each hub
 * with its own work queue; each app recovers and drives only its own instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { post, readStatus, startEngine, startOrchestration, waitForStatus, type EngineHarness, type StatusBody } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const azurite = await startAzuriteForTests();
const api = '/runtime/webhooks/durabletask';

function appInvoker(version: string): LibraryInvoker {
  return new LibraryInvoker()
    .orchestration('work', function* (context) {
      const greeting = yield context.df.callActivity('stamp', context.df.getInput());
      const extra = context.df.getInput() === 'wait' ? yield context.df.waitForExternalEvent('go') : null;
      return { greeting, extra, version: context.df.version ?? null };
    })
    .activity('stamp', (input: unknown) => `${String(input)} by ${version}`);
}

function durableTask(hubName: string, version: string): Record<string, unknown> {
  return {
    hubName,
    defaultVersion: version,
    storageProvider: { trackingStoreConnectionName: 'SharedTracking', trackingStoreNamePrefix: 'Shared' },
  };
}

describe('two task hubs sharing one tracking store', () => {
  let one: EngineHarness;
  let two: EngineHarness;

  const start = (invoker: LibraryInvoker, hub: string, version: string): Promise<EngineHarness> => startEngine({
    invoker, connectionString: azurite.connectionString, durableTask: durableTask(hub, version),
    connections: { SharedTracking: azurite.connectionString },
  });

  before(async () => {
    one = await start(appInvoker('1.0'), 'AppOneHub', '1.0');
    two = await start(appInvoker('2.0'), 'AppTwoHub', '2.0');
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
  });

  it('keeps both hubs in the shared tables, stamped with their task hub, and runs each in its own app', async () => {
    const a = await startOrchestration(one.url, 'work', 'a', 'shared-a');
    const b = await startOrchestration(two.url, 'work', 'b', 'shared-b');
    assert.deepEqual((await waitForStatus(one.url, a)).output, { greeting: 'a by 1.0', extra: null, version: '1.0' });
    assert.deepEqual((await waitForStatus(two.url, b)).output, { greeting: 'b by 2.0', extra: null, version: '2.0' });

    const instances = createTableClient(azurite.connectionString, 'SharedInstances');
    const hubs = new Map<string, string>();
    for await (const row of instances.listEntities<{ TaskHubName: string }>()) hubs.set(row.partitionKey ?? '', row.TaskHubName);
    assert.equal(hubs.get('shared-a'), 'AppOneHub');
    assert.equal(hubs.get('shared-b'), 'AppTwoHub');
    const history = createTableClient(azurite.connectionString, 'SharedHistory');
    const partitions = new Set<string>();
    for await (const row of history.listEntities()) partitions.add(row.partitionKey ?? '');
    assert.ok(partitions.has('shared-a') && partitions.has('shared-b'));
    for (const hub of ['AppOneHub', 'AppTwoHub']) {
      const work = createTableClient(azurite.connectionString, `${hub}Work`);
      for await (const row of work.listEntities()) assert.fail(`${hub}Work still holds ${JSON.stringify(row)}`);
    }
  });

  it('answers status and queries for every hub, as the extension does, but refuses to drive the other hub', async () => {
    const b = await startOrchestration(two.url, 'work', 'wait', 'shared-wait');
    await waitForStatus(two.url, b, (s) => s.runtimeStatus === 'Running');
    assert.equal((await readStatus(one.url, b)).body?.runtimeStatus, 'Running');
    const all = (await (await fetch(`${one.url}${api}/instances?instanceIdPrefix=shared-`)).json()) as StatusBody[];
    assert.deepEqual(all.map((s) => s.instanceId).sort(), ['shared-a', 'shared-b', 'shared-wait']);
    const wrongApp = await post(one.url, `instances/${b}/raiseEvent/go`, 'x');
    assert.equal(wrongApp.status, 404);
    assert.match(((await wrongApp.json()) as { error: { message: string } }).error.message, /belongs to task hub "AppTwoHub"/);
    const taken = await post(one.url, `orchestrators/work/${b}`, 'x');
    assert.equal(taken.status, 409);
    assert.equal(((await taken.json()) as { error: { code: string } }).error.code, 'INSTANCE_ID_CONFLICT');
  });

  it('purges only its own hub\'s finished instances: another hub\'s or a running one answers 404 and stays', async () => {
    const theirs = await startOrchestration(two.url, 'work', 'theirs', 'purge-theirs');
    await waitForStatus(two.url, theirs);
    const foreign = await fetch(`${one.url}${api}/instances/${theirs}`, { method: 'DELETE' });
    assert.equal(foreign.status, 404);
    assert.match(((await foreign.json()) as { error: { message: string } }).error.message, /belongs to task hub "AppTwoHub"/);
    assert.equal((await readStatus(two.url, theirs)).body?.runtimeStatus, 'Completed');

    const running = await startOrchestration(one.url, 'work', 'wait', 'purge-running');
    await waitForStatus(one.url, running, (s) => s.runtimeStatus === 'Running');
    const refused = await fetch(`${one.url}${api}/instances/${running}`, { method: 'DELETE' });
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'INSTANCE_NOT_PURGEABLE');
    assert.equal((await post(one.url, `instances/${running}/raiseEvent/go`, 'still here')).status, 202);
    assert.equal((await waitForStatus(one.url, running)).runtimeStatus, 'Completed');

    const from = new Date(Date.now() - 60_000).toISOString();
    const byFilter = await fetch(`${one.url}${api}/instances?createdTimeFrom=${from}`, { method: 'DELETE' });
    assert.equal(byFilter.status, 200);
    assert.equal((await readStatus(two.url, theirs)).status, 200, 'the other hub\'s instance survives a purge by filter');
    assert.equal((await readStatus(one.url, running)).status, 404);
    assert.equal((await fetch(`${two.url}${api}/instances/${theirs}`, { method: 'DELETE' })).status, 200);
  });

  it('recovers only its own hub after a restart', async () => {
    await one.stop();
    one = await start(appInvoker('1.0'), 'AppOneHub', '1.0');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await readStatus(two.url, 'shared-wait')).body?.runtimeStatus, 'Running');
    assert.equal((await post(two.url, 'instances/shared-wait/raiseEvent/go', 'now')).status, 202);
    assert.deepEqual((await waitForStatus(two.url, 'shared-wait')).output, { greeting: 'wait by 2.0', extra: 'now', version: '2.0' });
  });
});
