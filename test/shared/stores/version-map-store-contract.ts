import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../../shared/stores/version-map-store.js';
import { activate, findEntry, recordInstanceCounts, registerProvisioning } from '../../../shared/versions/version-map-operations.js';
import { emptyVersionMap, type VersionEntry, type VersionMap } from '../../../shared/versions/version-map.js';

/** Opens handles on one fresh, empty storage space; every handle it returns sees the same map. */
export type OpenStore = () => VersionMapStore;

const at = '2026-04-01T00:00:00.000Z';

export function oneVersion(version = '1.0.0'): VersionMap {
  const routeKey = version.split('.').slice(0, 2).join('.');
  return activate(registerProvisioning(emptyVersionMap, {
    version, app: { name: `app-${routeKey}`, url: 'http://127.0.0.1:7101', taskHub: `Hub${routeKey.replace('.', 'v')}` }, at,
  }), routeKey);
}

/** A map of `count` versions whose JSON is long, with astral characters that a naive split would cut in half. */
export function largeMap(count: number): VersionMap {
  const versions: VersionEntry[] = Array.from({ length: count }, (_, index) => ({
    routeKey: `1.${index}`,
    state: index === count - 1 ? 'active' : 'drained',
    versions: [`1.${index}.0`, `1.${index}.1`],
    latest: `1.${index}.1`,
    app: { name: `app-1-${index}-${'🚀'.repeat(index % 7)}`, url: `https://durable-app-1-${index}.azurewebsites.net/${'p'.repeat(index % 13)}`, taskHub: `Hub1v${index}` },
    createdAt: at,
    ...(index === count - 1 ? {} : { drainedAt: at }),
  }));
  return { current: `1.${count - 1}`, versions };
}

function runningOf(map: VersionMap): number {
  return findEntry(map, '1.0')?.instances?.running ?? 0;
}

async function assertConflict(action: Promise<unknown>): Promise<void> {
  await assert.rejects(action, (error) => {
    assert.ok(isRouterError(error, 'VERSION_MAP_CONFLICT'), String(error));
    assert.equal(error.status, 409);
    return true;
  });
}

/** The behaviour every VersionMapStore adapter must have. `fresh` gives a new, empty storage space per test. */
export function versionMapStoreContract(adapter: string, fresh: () => Promise<OpenStore>): void {
  describe(`VersionMapStore contract: ${adapter}`, () => {
    it('reads an empty map, with no etag, before anything is stored', async () => {
      const store = (await fresh())();
      assert.deepEqual(await store.read(), { map: emptyVersionMap, etag: undefined });
    });

    it('round-trips a write, and a second handle reads the same map and etag', async () => {
      const open = await fresh();
      const store = open();
      const written = await store.write(await store.read(), oneVersion());
      assert.deepEqual(written.map, oneVersion());
      assert.equal(typeof written.etag, 'string');
      assert.deepEqual(await open().read(), written);
    });

    it('refuses a create when a map is already stored, changing nothing', async () => {
      const store = (await fresh())();
      const empty = await store.read();
      const first = await store.write(empty, oneVersion('1.0.0'));
      await assertConflict(store.write(empty, oneVersion('2.0.0')));
      assert.deepEqual(await store.read(), first);
    });

    it('refuses a write with a stale etag, changing nothing', async () => {
      const store = (await fresh())();
      const first = await store.write(await store.read(), oneVersion('1.0.0'));
      const second = await store.write(first, oneVersion('1.1.0'));
      assert.notEqual(second.etag, first.etag);
      await assertConflict(store.write(first, oneVersion('2.0.0')));
      assert.deepEqual(await store.read(), second);
    });

    it('lands every one of 20 concurrent updates', async () => {
      const open = await fresh();
      await open().write(await open().read(), oneVersion('1.0.0'));
      const increment = (map: VersionMap): VersionMap => recordInstanceCounts(map, '1.0', { pending: 0, running: runningOf(map) + 1, suspended: 0, countedAt: at });
      await Promise.all(Array.from({ length: 20 }, () => open().update(increment)));
      assert.equal(runningOf((await open().read()).map), 20);
    });

    it('writes nothing when an update changes nothing', async () => {
      const store = (await fresh())();
      const stored = await store.write(await store.read(), oneVersion());
      const result = await store.update((map) => map);
      assert.equal(result.etag, stored.etag);
      assert.deepEqual(await store.read(), stored);
    });

    it('passes on an error the change throws, without writing', async () => {
      const store = (await fresh())();
      const stored = await store.write(await store.read(), oneVersion('1.0.0'));
      await assert.rejects(store.update((map) => registerProvisioning(map, { version: '1.0.0', app: { name: 'a', url: 'u', taskHub: 'h' }, at })), (error) => {
        assert.ok(isRouterError(error, 'VERSION_EXISTS'), String(error));
        return true;
      });
      assert.deepEqual(await store.read(), stored);
    });

    it('hands out copies: mutating a map it returned changes nothing stored', async () => {
      const store = (await fresh())();
      const written = await store.write(await store.read(), oneVersion());
      (written.map as { current: string | null }).current = 'mutated';
      const read = await store.read();
      (read.map.versions as VersionEntry[]).length = 0;
      assert.deepEqual((await store.read()).map, oneVersion());
    });

    it('round-trips a large map', async () => {
      const store = (await fresh())();
      const map = largeMap(400);
      assert.ok(JSON.stringify(map).length > 100_000, 'the map is large enough to need several 64 KiB properties');
      const written = await store.write(await store.read(), map);
      const read = await store.read();
      assert.deepEqual(read.map, map);
      assert.equal(read.etag, written.etag);
      const next = await store.update((current) => recordInstanceCounts(current, '1.399', { pending: 1, running: 2, suspended: 3, countedAt: at }));
      assert.deepEqual((await store.read()).map, next.map);
    });
  });
}
