import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceOwnerCache, type InstanceOwnerSource } from '../../../router/front-door/instance-owner-cache.js';

/** A working in-memory tracking store that counts its reads and can be made to fail. */
class MemoryOwners implements InstanceOwnerSource {
  readonly hubs = new Map<string, string>();
  reads = 0;
  failure: Error | undefined;

  async getInstance(instanceId: string): Promise<{ taskHub: string; name: string } | undefined> {
    this.reads += 1;
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failure !== undefined) throw this.failure;
    const taskHub = this.hubs.get(instanceId);
    return taskHub === undefined ? undefined : { taskHub, name: 'Hello' };
  }
}

function cacheOver(source: MemoryOwners, clock: { now: number }, maxEntries = 100): InstanceOwnerCache {
  return new InstanceOwnerCache(source, { maxEntries, missingTtlMs: 1_000, ownerTtlMs: 60_000, now: () => clock.now });
}

describe('InstanceOwnerCache', () => {
  it('reads an owner once and then answers from memory', async () => {
    const source = new MemoryOwners();
    source.hubs.set('a', 'Hub1');
    const cache = cacheOver(source, { now: 0 });
    assert.equal(cache.peek('a'), undefined);
    assert.deepEqual(await cache.load('a'), { taskHub: 'Hub1' });
    assert.deepEqual(cache.peek('a'), { taskHub: 'Hub1' });
    assert.equal(source.reads, 1);
  });

  it('shares one read between concurrent lookups', async () => {
    const source = new MemoryOwners();
    source.hubs.set('a', 'Hub1');
    const cache = cacheOver(source, { now: 0 });
    const owners = await Promise.all([cache.load('a'), cache.load('a'), cache.load('a')]);
    assert.deepEqual(owners, [{ taskHub: 'Hub1' }, { taskHub: 'Hub1' }, { taskHub: 'Hub1' }]);
    assert.equal(source.reads, 1);
  });

  it('remembers a missing instance only briefly', async () => {
    const source = new MemoryOwners();
    const clock = { now: 0 };
    const cache = cacheOver(source, clock);
    assert.equal(await cache.load('late'), undefined);
    assert.equal(cache.peek('late'), null);
    source.hubs.set('late', 'Hub2');
    clock.now = 999;
    assert.equal(cache.peek('late'), null);
    clock.now = 1_000;
    assert.equal(cache.peek('late'), undefined);
    assert.deepEqual(await cache.load('late'), { taskHub: 'Hub2' });
  });

  it('forgets owners after their time to live and after a purge', async () => {
    const source = new MemoryOwners();
    source.hubs.set('a', 'Hub1');
    const clock = { now: 0 };
    const cache = cacheOver(source, clock);
    await cache.load('a');
    cache.forget('a');
    assert.equal(cache.peek('a'), undefined);
    await cache.load('a');
    clock.now = 60_000;
    assert.equal(cache.peek('a'), undefined);
  });

  it('stays within its bound, evicting the least recently used', async () => {
    const source = new MemoryOwners();
    const cache = cacheOver(source, { now: 0 }, 3);
    for (const id of ['a', 'b', 'c']) cache.remember(id, { taskHub: `Hub-${id}` });
    assert.deepEqual(cache.peek('a'), { taskHub: 'Hub-a' });
    cache.remember('d', { taskHub: 'Hub-d' });
    assert.equal(cache.size, 3);
    assert.equal(cache.peek('b'), undefined, 'b was the least recently used');
    assert.deepEqual(cache.peek('a'), { taskHub: 'Hub-a' });
    assert.deepEqual(cache.peek('d'), { taskHub: 'Hub-d' });
  });

  it('caches nothing when its size is 0', async () => {
    const source = new MemoryOwners();
    source.hubs.set('a', 'Hub1');
    const cache = cacheOver(source, { now: 0 }, 0);
    await cache.load('a');
    await cache.load('a');
    assert.equal(source.reads, 2);
    assert.equal(cache.size, 0);
  });

  it('passes read failures on and remembers nothing about them', async () => {
    const source = new MemoryOwners();
    source.failure = new Error('store down');
    const cache = cacheOver(source, { now: 0 });
    await assert.rejects(cache.load('a'), /store down/);
    assert.equal(cache.peek('a'), undefined);
    source.failure = undefined;
    source.hubs.set('a', 'Hub1');
    assert.deepEqual(await cache.load('a'), { taskHub: 'Hub1' });
  });
});
