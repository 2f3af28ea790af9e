/** The accounting a benchmark subtracts: the union of the intervals the fake was busy, clipped to a window. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeArmAccounting } from './accounting/fake-arm-accounting.js';
import { fakeArmClients } from './fake-arm-clients.js';
import { startFakeArmForTests } from './fake-arm-for-tests.js';

describe('fake ARM accounting', () => {
  it('counts overlapping busy intervals once, and only within the window', () => {
    const accounting = new FakeArmAccounting();
    accounting.recordBusy({ kind: 'long-running-operation', operationId: 'A', startedAt: 100, endedAt: 400 });
    accounting.recordCall({ operationId: 'B', method: 'GET', path: '/x', status: 200, startedAt: 150, endedAt: 200 });
    accounting.recordBusy({ kind: 'deployment', operationId: 'C', startedAt: 350, endedAt: 500 });
    accounting.recordBusy({ kind: 'restart', operationId: 'D', startedAt: 700, endedAt: 800 });
    assert.equal(accounting.busyMsBetween(0, 1000), 500);
    assert.equal(accounting.busyMsBetween(450, 750), 100);
    assert.equal(accounting.busyMsBetween(500, 700), 0);
    assert.equal(accounting.calls.length, 1);
    assert.equal(accounting.busy.length, 4, 'a call is busy time too');
  });

  it('records each call and each long-running operation\'s time in progress', async () => {
    const fake = await startFakeArmForTests({ lroDelayMs: 250 });
    const { web, resources } = fakeArmClients(fake);
    await resources.resourceGroups.createOrUpdate('busy-group', { location: 'westeurope' });
    await web.appServicePlans.createOrUpdate('busy-group', 'busy-plan', { location: 'westeurope', sku: { name: 'EP1' }, reserved: true }, { updateIntervalInMs: 25 });
    const operation = fake.busy.find((interval) => interval.kind === 'long-running-operation');
    assert.equal(operation?.operationId, 'AppServicePlans_CreateOrUpdate');
    assert.match(operation?.resource ?? '', /\/serverfarms\/busy-plan$/);
    assert.ok(operation!.endedAt - operation!.startedAt >= 249, 'in progress for lroDelayMs');
    const first = fake.calls[0]!;
    const last = fake.calls.at(-1)!;
    assert.deepEqual(fake.calls.map((call) => call.operationId).filter((id, index, all) => all.indexOf(id) === index), ['ResourceGroups_CreateOrUpdate', 'AppServicePlans_CreateOrUpdate', 'OperationResults_Get']);
    assert.ok(fake.calls.every((call) => call.endedAt >= call.startedAt));
    assert.ok(fake.busyMsBetween(first.startedAt, last.endedAt) >= operation!.endedAt - operation!.startedAt);
  });
});
