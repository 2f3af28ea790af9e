import type { InstanceOwner } from './version-resolution.js';

/** Port: the shared tracking store as the front door reads it (which task hub owns an instance). */
export interface InstanceOwnerSource {
  getInstance(instanceId: string): Promise<InstanceOwner | undefined>;
}

interface CachedOwner {
  readonly owner: InstanceOwner | null;
  readonly expiresAt: number;
}

export interface InstanceOwnerCacheOptions {
  readonly maxEntries: number;
  /** An instance may be created a moment after it was found missing: forget that quickly. */
  readonly missingTtlMs: number;
  /** An owner never changes while its record exists, but a purged id can be reused by another app. */
  readonly ownerTtlMs: number;
  readonly now?: () => number;
}

/**
 * Which task hub owns an instance, remembered in a bounded LRU so that the tracking store is read
 * once per instance, not once per call. Concurrent lookups of one id share one read.
 */
export class InstanceOwnerCache {
  readonly #source: InstanceOwnerSource;
  readonly #options: InstanceOwnerCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, CachedOwner>();
  readonly #loading = new Map<string, Promise<InstanceOwner | undefined>>();

  constructor(source: InstanceOwnerSource, options: InstanceOwnerCacheOptions) {
    this.#source = source;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The owner, null when recently found missing, undefined when it must be loaded. */
  peek(instanceId: string): InstanceOwner | null | undefined {
    const cached = this.#entries.get(instanceId);
    if (cached === undefined) return undefined;
    this.#entries.delete(instanceId);
    if (cached.expiresAt <= this.#now()) return undefined;
    this.#entries.set(instanceId, cached);
    return cached.owner;
  }

  load(instanceId: string): Promise<InstanceOwner | undefined> {
    const pending = this.#loading.get(instanceId);
    if (pending !== undefined) return pending;
    const loading = this.#source.getInstance(instanceId).then(
      (found) => {
        this.#loading.delete(instanceId);
        const owner = found === undefined ? undefined : { taskHub: found.taskHub };
        this.remember(instanceId, owner);
        return owner;
      },
      (error: unknown) => {
        this.#loading.delete(instanceId);
        throw error;
      },
    );
    this.#loading.set(instanceId, loading);
    return loading;
  }

  /** Records what the router itself just learned (a start it forwarded, a missing instance). */
  remember(instanceId: string, owner: InstanceOwner | undefined): void {
    const { maxEntries, missingTtlMs, ownerTtlMs } = this.#options;
    if (maxEntries === 0) return;
    this.#entries.delete(instanceId);
    this.#entries.set(instanceId, {
      owner: owner ?? null,
      expiresAt: this.#now() + (owner === undefined ? missingTtlMs : ownerTtlMs),
    });
    if (this.#entries.size > maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** After a purge the id may be reused by another app. */
  forget(instanceId: string): void {
    this.#entries.delete(instanceId);
  }

  get size(): number {
    return this.#entries.size;
  }
}
