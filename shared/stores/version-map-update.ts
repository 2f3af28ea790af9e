import { isRouterError, RouterError } from '../errors/router-error.js';
import type { VersionMap } from '../versions/version-map.js';
import type { VersionMapSnapshot } from './version-map-store.js';

export interface UpdateRetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultUpdateRetry: UpdateRetryOptions = Object.freeze({ maxAttempts: 25, baseDelayMs: 10, maxDelayMs: 500 });

/**
 * Read-modify-write with optimistic concurrency: on VERSION_MAP_CONFLICT re-reads and re-applies
 * `change`, waiting a random ("full jitter") exponential backoff so competing writers spread out.
 * A change that returns its input unchanged writes nothing.
 */
export async function updateWithRetry(
  store: { read(): Promise<VersionMapSnapshot>; write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot> },
  change: (map: VersionMap) => VersionMap,
  options: UpdateRetryOptions = defaultUpdateRetry,
): Promise<VersionMapSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const snapshot = await store.read();
    const next = change(snapshot.map);
    if (next === snapshot.map) return snapshot;
    try {
      return await store.write(snapshot, next);
    } catch (error) {
      if (!isRouterError(error, 'VERSION_MAP_CONFLICT')) throw error;
      if (attempt >= options.maxAttempts) {
        throw new RouterError(
          'VERSION_MAP_CONFLICT',
          `The version map kept changing while it was being updated (${attempt} attempts); retry.`,
          { cause: error },
        );
      }
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
