import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import type { VersionMapSnapshot, VersionMapStore } from '../../../shared/stores/version-map-store.js';
import { updateWithRetry } from '../../../shared/stores/version-map-update.js';
import { findEntry, recordInstanceCounts } from '../../../shared/versions/version-map-operations.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { oneVersion } from './version-map-store-contract.js';

const at = '2026-04-01T00:00:00.000Z';
const bump = (map: VersionMap): VersionMap =>
  recordInstanceCounts(map, '1.0', { pending: 0, running: (findEntry(map, '1.0')?.instances?.running ?? 0) + 1, suspended: 0, countedAt: at });

/** A store shared with another writer that, for its first `rounds` reads, writes right after each one. */
class ContendedStore {
  reads = 0;
  constructor(private readonly shared: VersionMapStore, private rounds: number) {}

  async read(): Promise<VersionMapSnapshot> {
    const snapshot = await this.shared.read();
    this.reads += 1;
    if (this.rounds > 0) {
      this.rounds -= 1;
      await this.shared.write(snapshot, bump(snapshot.map));
    }
    return snapshot;
  }

  write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot> {
    return this.shared.write(expected, next);
  }
}

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

describe('updateWithRetry', () => {
  it('re-reads and re-applies the change after each conflict until it lands', async () => {
    const shared = new MemoryVersionMapStore(oneVersion());
    const contended = new ContendedStore(shared, 2);
    const result = await updateWithRetry(contended, bump, fast);
    assert.equal(contended.reads, 3);
    assert.equal(findEntry(result.map, '1.0')?.instances?.running, 3, 'two competing writes and ours all landed');
    assert.deepEqual(await shared.read(), result);
  });

  it('gives up with VERSION_MAP_CONFLICT after the last attempt', async () => {
    const shared = new MemoryVersionMapStore(oneVersion());
    const contended = new ContendedStore(shared, 10);
    await assert.rejects(updateWithRetry(contended, bump, fast), (error) => {
      assert.ok(isRouterError(error, 'VERSION_MAP_CONFLICT'));
      assert.match(error.message, /kept changing while it was being updated \(3 attempts\)/);
      assert.ok(isRouterError(error.cause, 'VERSION_MAP_CONFLICT'));
      return true;
    });
    assert.equal(contended.reads, 3);
    assert.equal(findEntry((await shared.read()).map, '1.0')?.instances?.running, 3, 'only the competing writes landed');
  });
});
