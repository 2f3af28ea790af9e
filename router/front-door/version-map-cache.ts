import type { FastifyBaseLogger } from 'fastify';
import type { VersionMapStore } from '../../shared/stores/version-map-store.js';
import type { VersionMap } from '../../shared/versions/version-map.js';

type StoreHealth = 'unknown' | 'reachable' | 'unreachable';

/**
 * The version map held in memory: re-read from the store every `intervalMs` (the next read is
 * scheduled when the previous one ends, so reads never pile up), handed to `onChange` when its
 * etag changes. Requests read the last map and never wait on the store; when the store is
 * unreachable the last map stays, and the outage is logged once when it starts and once when it ends.
 */
export class VersionMapCache {
  readonly #store: VersionMapStore;
  readonly #intervalMs: number;
  readonly #log: FastifyBaseLogger;
  readonly #onChange: (map: VersionMap) => void | Promise<void>;
  #etag: string | undefined;
  /** A map that could not be applied is not retried (nor logged again) until the store changes. */
  #rejectedEtag: string | undefined;
  #loaded = false;
  #health: StoreHealth = 'unknown';
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #reading: Promise<void> | undefined;

  constructor(store: VersionMapStore, intervalMs: number, log: FastifyBaseLogger, onChange: (map: VersionMap) => void | Promise<void>) {
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#log = log;
    this.#onChange = onChange;
  }

  /** True once a map has been read: until then the front door is not ready. */
  get loaded(): boolean {
    return this.#loaded;
  }

  get storeReachable(): boolean {
    return this.#health === 'reachable';
  }

  /** Starts polling; resolves after the first read, whether or not it succeeded. */
  start(): Promise<void> {
    if (this.#running) return this.#reading ?? Promise.resolve();
    this.#running = true;
    return this.#poll();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the map now (or joins the read under way). */
  refresh(): Promise<void> {
    this.#reading ??= this.#store.read().then(
      async (snapshot) => {
        this.#markHealth('reachable', undefined);
        if (this.#loaded && snapshot.etag === this.#etag) return;
        if (snapshot.etag !== undefined && snapshot.etag === this.#rejectedEtag) return;
        await this.#apply(snapshot.map, snapshot.etag);
      },
      (error: unknown) => {
        this.#markHealth('unreachable', error);
      },
    ).finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  #poll(): Promise<void> {
    return this.refresh().then(() => {
      if (!this.#running) return;
      this.#timer = setTimeout(() => void this.#poll(), this.#intervalMs);
      this.#timer.unref();
    });
  }

  async #apply(map: VersionMap, etag: string | undefined): Promise<void> {
    try {
      await this.#onChange(map);
    } catch (error) {
      this.#log.error({ err: error }, 'the version map could not be applied; routing stays on the previous map');
      this.#rejectedEtag = etag;
      return;
    }
    this.#etag = etag;
    this.#loaded = true;
  }

  #markHealth(health: StoreHealth, error: unknown): void {
    const previous = this.#health;
    this.#health = health;
    if (health === 'unreachable' && previous !== 'unreachable') {
      this.#log.warn({ err: error },
        this.#loaded
          ? 'the version map store is unreachable; routing continues on the last known map'
          : 'the version map store is unreachable; no map has been loaded yet, so nothing is routed');
    } else if (health === 'reachable' && previous === 'unreachable') {
      this.#log.info('the version map store is reachable again');
    }
  }
}
