import type { FastifyBaseLogger } from 'fastify';
import type { AppKeys } from '../../shared/secrets/app-keys.js';
import type { AppKeySnapshot } from '../../shared/stores/app-key-store.js';
import type { VersionMap } from '../../shared/versions/version-map.js';

/** Where the front door reads apps' keys: the control plane keeps them (AppKeyStore). */
export interface AppKeySource {
  readAll(): Promise<AppKeySnapshot>;
}

/** How often a request that found no keys for its app may have them read again. */
const soonestRetryMs = 1_000;

/**
 * Every app's keys held in memory. Read again when the version map names an app whose keys are not
 * here yet (a new release: the control plane stored them before it recorded the app), when a
 * request finds none for its app (at most once a second), and every `maxAgeMs` (keys stored again);
 * `onChange` hears of every change. A failed read keeps the keys already held.
 */
export class AppKeyCache {
  readonly #source: AppKeySource;
  readonly #log: FastifyBaseLogger;
  readonly #maxAgeMs: number;
  readonly #onChange: () => void;
  #keys: ReadonlyMap<string, AppKeys> = new Map();
  #loadedAt = -Infinity;
  #askedAt = -Infinity;
  #loading: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reportedUnreadable = '';
  #failing = false;

  constructor(source: AppKeySource, log: FastifyBaseLogger, maxAgeMs: number, onChange: () => void) {
    this.#source = source;
    this.#log = log;
    this.#maxAgeMs = maxAgeMs;
    this.#onChange = onChange;
  }

  /** Reads the keys again every `maxAgeMs` until `stop`. */
  start(): void {
    this.#timer ??= setInterval(() => void this.reload(), this.#maxAgeMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A request found no keys for its app: read them again, unless that was asked a moment ago. */
  reloadSoon(): void {
    if (performance.now() - this.#askedAt < soonestRetryMs) return;
    this.#askedAt = performance.now();
    void this.reload();
  }

  keysOf(appName: string): AppKeys | undefined {
    return this.#keys.get(appName);
  }

  /** True when the map names an app that serves and has no keys here, or the keys are old. */
  isStaleFor(map: VersionMap): boolean {
    if (performance.now() - this.#loadedAt >= this.#maxAgeMs) return true;
    return map.versions.some((entry) => entry.state !== 'decommissioned' && entry.state !== 'failed' && !this.#keys.has(entry.app.name));
  }

  /** Reads the keys now (or joins the read under way); calls `onChange` when they changed. */
  reload(): Promise<void> {
    this.#loading ??= this.#source.readAll().then(
      (snapshot) => {
        this.#loading = undefined;
        this.#loadedAt = performance.now();
        if (this.#failing) this.#log.info('the apps\' keys could be read again');
        this.#failing = false;
        this.#reportUnreadable(snapshot.unreadable);
        const changed = !sameKeys(this.#keys, snapshot.keys);
        this.#keys = snapshot.keys;
        if (changed) this.#onChange();
      },
      (error: unknown) => {
        this.#loading = undefined;
        // Not again at once: the next map change or the next period tries again.
        this.#loadedAt = performance.now();
        if (!this.#failing) this.#log.warn({ err: error }, 'the apps\' keys could not be read; requests go on with the keys already held');
        this.#failing = true;
      },
    );
    return this.#loading;
  }

  #reportUnreadable(unreadable: readonly string[]): void {
    const names = unreadable.join(', ');
    if (names !== '' && names !== this.#reportedUnreadable) {
      this.#log.error({ apps: unreadable }, 'the keys of some apps do not open with this router\'s secrets key (ROUTER_SECRETS_KEY): calls that need them are refused by those apps until the control plane stores them again');
    }
    this.#reportedUnreadable = names;
  }
}

function sameKeys(a: ReadonlyMap<string, AppKeys>, b: ReadonlyMap<string, AppKeys>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, keys] of a) {
    const other = b.get(name);
    if (other?.function !== keys.function || other.durableTask !== keys.durableTask) return false;
  }
  return true;
}
