import { RouterError } from '../errors/router-error.js';
import type { VersionMap } from '../versions/version-map.js';
import { emptyVersionMap } from '../versions/version-map.js';
import type { VersionMapSnapshot, VersionMapStore } from './version-map-store.js';
import { defaultUpdateRetry, updateWithRetry, type UpdateRetryOptions } from './version-map-update.js';

/**
 * A working in-memory version map store with the Table store's semantics: every write must present
 * the current etag, and maps are copied in and out (through JSON, as the Table store stores them)
 * so no caller can change the stored map by mutating an object it holds.
 */
export class MemoryVersionMapStore implements VersionMapStore {
  #json: string | undefined;
  #version = 0;

  /** `initial`, when given, counts as already stored (it has an etag). */
  constructor(initial?: VersionMap, private readonly retry: UpdateRetryOptions = defaultUpdateRetry) {
    if (initial !== undefined) this.#store(initial);
  }

  async read(): Promise<VersionMapSnapshot> {
    return this.#snapshot();
  }

  async write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot> {
    const current = this.#etag();
    if (expected.etag !== current) {
      throw new RouterError(
        'VERSION_MAP_CONFLICT',
        current === undefined
          ? 'The version map does not exist yet, so it cannot be replaced; read it again and retry.'
          : 'The version map changed since it was read; read it again and retry.',
        { details: { expectedEtag: expected.etag ?? null } },
      );
    }
    this.#store(next);
    return this.#snapshot();
  }

  update(change: (map: VersionMap) => VersionMap): Promise<VersionMapSnapshot> {
    return updateWithRetry(this, change, this.retry);
  }

  #store(map: VersionMap): void {
    this.#json = JSON.stringify(map);
    this.#version += 1;
  }

  #etag(): string | undefined {
    return this.#json === undefined ? undefined : `W/"memory-${this.#version}"`;
  }

  #snapshot(): VersionMapSnapshot {
    return { map: this.#json === undefined ? emptyVersionMap : (JSON.parse(this.#json) as VersionMap), etag: this.#etag() };
  }
}
