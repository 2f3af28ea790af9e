import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import type { VersionMapSnapshot, VersionMapStore } from '../../../shared/stores/version-map-store.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { VersionMapCache } from '../../../router/front-door/version-map-cache.js';
import { capturingLogger } from './fixtures/log-capture.js';
import { versionEntry, versionMap } from './fixtures/version-maps.js';

/** The real in-memory store behind a switch that makes it unreachable, and a read counter. */
class SwitchableStore implements VersionMapStore {
  down = false;
  reads = 0;
  constructor(readonly inner: VersionMapStore) {}

  read(): Promise<VersionMapSnapshot> {
    this.reads += 1;
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:10002')) : this.inner.read();
  }

  write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot> {
    return this.inner.write(expected, next);
  }

  update(change: (map: VersionMap) => VersionMap): Promise<VersionMapSnapshot> {
    return this.inner.update(change);
  }
}

const first = versionMap('1.0', versionEntry('1.0', 'active', ['1.0.0']));

function cacheOver(store: VersionMapStore, intervalMs: number): { cache: VersionMapCache; applied: VersionMap[]; log: ReturnType<typeof capturingLogger> } {
  const applied: VersionMap[] = [];
  const log = capturingLogger();
  const cache = new VersionMapCache(store, intervalMs, log.logger as unknown as FastifyBaseLogger, (map) => { applied.push(map); });
  return { cache, applied, log };
}

describe('VersionMapCache', () => {
  it('is not loaded until the first read, then applies the map', async () => {
    const store = new SwitchableStore(new MemoryVersionMapStore(first));
    const { cache, applied } = cacheOver(store, 20);
    assert.equal(cache.loaded, false);
    await cache.start();
    try {
      assert.equal(cache.loaded, true);
      assert.deepEqual(applied, [first]);
    } finally {
      cache.stop();
    }
  });

  it('applies a change written to the store on a later poll, and only changes', async () => {
    const store = new SwitchableStore(new MemoryVersionMapStore(first));
    const { cache, applied } = cacheOver(store, 20);
    await cache.start();
    try {
      await waitFor(() => store.reads >= 4);
      assert.equal(applied.length, 1, 'an unchanged map is not applied again');
      await store.update((map) => ({ ...map, versions: [...map.versions, versionEntry('1.1', 'active', ['1.1.0'])], current: '1.1' }));
      await waitFor(() => applied.length === 2);
      assert.equal(applied[1]?.current, '1.1');
    } finally {
      cache.stop();
    }
  });

  it('keeps the last map through an outage and logs its start and end once each', async () => {
    const store = new SwitchableStore(new MemoryVersionMapStore(first));
    const { cache, applied, log } = cacheOver(store, 10);
    await cache.start();
    try {
      store.down = true;
      const readsBefore = store.reads;
      await waitFor(() => store.reads >= readsBefore + 5);
      assert.equal(cache.loaded, true);
      assert.equal(cache.storeReachable, false);
      assert.equal(applied.length, 1);
      const warnings = log.lines.filter((line) => line.level === 40);
      assert.equal(warnings.length, 1, 'one warning per outage, not one per poll');
      assert.match(warnings[0]?.msg ?? '', /routing continues on the last known map/);
      store.down = false;
      await waitFor(() => cache.storeReachable);
      assert.equal(log.lines.filter((line) => /reachable again/.test(line.msg)).length, 1);
    } finally {
      cache.stop();
    }
  });

  it('stops polling when stopped', async () => {
    const store = new SwitchableStore(new MemoryVersionMapStore(first));
    const { cache } = cacheOver(store, 10);
    await cache.start();
    cache.stop();
    const reads = store.reads;
    await sleep(60);
    assert.equal(store.reads, reads);
  });

  it('keeps the previous map when applying a new one fails', async () => {
    const store = new SwitchableStore(new MemoryVersionMapStore(first));
    const log = capturingLogger();
    let calls = 0;
    const cache = new VersionMapCache(store, 10, log.logger as unknown as FastifyBaseLogger, () => {
      calls += 1;
      if (calls > 1) throw new Error('cannot apply');
    });
    await cache.start();
    try {
      await store.update((map) => ({ ...map, current: null }));
      await waitFor(() => calls >= 2);
      await sleep(60);
      assert.equal(cache.loaded, true);
      assert.equal(calls, 2, 'a map that failed to apply is not retried until the store changes');
      assert.equal(log.lines.filter((line) => line.level === 50 && /could not be applied/.test(line.msg)).length, 1);
    } finally {
      cache.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(5);
  }
}
