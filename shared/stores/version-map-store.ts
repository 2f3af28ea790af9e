import type { VersionMap } from '../versions/version-map.js';

/** A version map as read, with the concurrency token its next write must present. */
export interface VersionMapSnapshot {
  readonly map: VersionMap;
  /** Opaque; undefined when nothing has been stored yet. */
  readonly etag: string | undefined;
}

/**
 * Port: where the version map lives. Adapters: Azure Table storage (Azurite locally) and memory.
 * Writes are optimistic: a write presenting a stale etag fails with VERSION_MAP_CONFLICT and
 * changes nothing, so two writers never overwrite each other.
 */
export interface VersionMapStore {
  read(): Promise<VersionMapSnapshot>;
  /** Writes `next` if the stored map is still at `expected.etag`; returns the new snapshot. */
  write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot>;
  /** Read-modify-write, retried on conflict; `change` must be pure (it may run more than once). */
  update(change: (map: VersionMap) => VersionMap): Promise<VersionMapSnapshot>;
}
