/**
 * Durable entities across versions, end to end on the local platform: two versions that register
 * one entity name keep apart state (the later one gets a tracking store of its own, which the
 * router still reads to route and list its instances), and a patch that would bring an entity
 * name into a shared store beside another version's is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { ReleaseStack, waitUntil } from './fixtures/release-stack.js';

interface CounterAnswer { exists: boolean; value: number }

describe('durable entities of several versions', () => {
  let stack: ReleaseStack;

  before(async () => {
    stack = await ReleaseStack.start();
  });

  after(async () => {
    await stack?.stop();
  });

  async function add(routeKey: string, amount: number): Promise<void> {
    const answer = await stack.app('POST', `/api/counters/orders/add/${amount}`, { 'x-app-version': routeKey });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  }

  async function counter(routeKey: string): Promise<number> {
    const answer = await stack.app<CounterAnswer>('GET', '/api/counters/orders', { 'x-app-version': routeKey });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.value;
  }

  async function counterReaches(routeKey: string, value: number): Promise<void> {
    await waitUntil(async () => (await counter(routeKey)) === value, 15_000, `the counter of ${routeKey} reaching ${value}`);
  }

  it('records the entities of a first version, which stays in the shared tracking store', async () => {
    const { final } = await stack.release({ version: '1.0.0', package: await stack.stage('1.0.0', 'entity') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    const entry = findEntry(await stack.map(), '1.0');
    assert.deepEqual(entry?.entities, ['counter']);
    assert.equal(entry?.app.trackingStore, undefined);
    await add('1.0', 2);
    await counterReaches('1.0', 2);
  });

  it('gives a breaking version that registers the same entity a tracking store of its own: the states stay apart', async () => {
    const { final, seen } = await stack.release({ version: '1.1.0', package: await stack.stage('1.1.0', 'entity'), promote: false });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.equal(await counter('1.1'), 0, 'the entity of 1.1 starts afresh, without 1.0\'s state');
    await add('1.1', 3);
    await counterReaches('1.1', 3);
    await add('1.0', 5);
    await counterReaches('1.0', 7);
    assert.equal(await counter('1.1'), 3, 'the entity of 1.1 did not see 1.0\'s operations');

    const isolating = seen.find((view) => view.step === 'isolating-entities');
    assert.match(isolating?.detail ?? '', /1\.0 \(counter\)/, 'the release says why');
    const entry = findEntry(await stack.map(), '1.1');
    assert.equal(entry?.app.trackingStore, 'DurableTaskV1x1');
    assert.deepEqual(entry?.entities, ['counter']);
    const listed = await stack.admin<{ versions: { routeKey: string; app: { trackingStore: string | null }; entities: string[] | null }[] }>('GET', '/admin/versions');
    assert.deepEqual(listed.body.versions.map((version) => [version.routeKey, version.app.trackingStore, version.entities]), [['1.0', null, ['counter']], ['1.1', 'DurableTaskV1x1', ['counter']]]);
  });

  it('routes and lists the instances of the version with its own store', async () => {
    const started = await stack.app('POST', '/api/waits/held-by-1-1', { 'x-app-version': '1.1' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const status = await stack.app<{ runtimeStatus: string }>('GET', '/runtime/webhooks/durabletask/instances/held-by-1-1');
    assert.equal(status.status, 202, JSON.stringify(status.body));
    assert.equal(status.body.runtimeStatus, 'Running');
    assert.equal(status.headers['x-routed-version'], '1.1.0', 'found in the store of 1.1 without a version header');

    const listed = await stack.admin<{ instances: { instanceId: string; routeKey: string }[] }>('GET', '/admin/instances?top=50');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const held = listed.body.instances.find((instance) => instance.instanceId === 'held-by-1-1');
    assert.equal(held?.routeKey, '1.1', JSON.stringify(listed.body));

    const signal = await stack.app('POST', '/runtime/webhooks/durabletask/instances/held-by-1-1/raiseEvent/Go', {}, 'go');
    assert.equal(signal.status, 202, JSON.stringify(signal.body));
    assert.equal(signal.headers['x-routed-version'], '1.1.0');
  });

  it('refuses a patch that would bring an entity into the shared store beside another version\'s, and keeps the previous package', async () => {
    const plain = await stack.release({ version: '1.2.0', package: await stack.stage('1.2.0'), promote: false });
    assert.equal(plain.final.state, 'succeeded', JSON.stringify(plain.final));
    assert.deepEqual(findEntry(await stack.map(), '1.2')?.entities, []);

    const { final } = await stack.release({ version: '1.2.1', package: await stack.stage('1.2.1', 'entity') });
    assert.equal(final.state, 'failed', JSON.stringify(final));
    assert.equal(final.error?.code, 'ENTITY_NAME_CONFLICT');
    assert.match(final.error?.message ?? '', /1\.0 \(counter\).*new major\.minor/);
    const entry = findEntry(await stack.map(), '1.2');
    assert.deepEqual(entry?.versions, ['1.2.0']);
    const served = await stack.app<{ version: string }>('GET', '/api/version', { 'x-app-version': '1.2' });
    assert.equal(served.body.version, '1.2.0');
  });
});
