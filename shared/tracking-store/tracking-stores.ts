/**
 * Every tracking store a router's apps write: the shared one, and those of versions whose durable
 * entities gave them one of their own (`app.trackingStore` in the version map). Answers as one
 * store: an instance is found in whichever store holds it (the shared one first), a task hub is
 * counted in its own store, and a query pages through the stores one after the other.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import type { TableStorage } from '../storage/table-client-factory.js';
import type { VersionMapStore } from '../stores/version-map-store.js';
import type { VersionMap } from '../versions/version-map.js';
import type { InstancePage, InstanceQuery } from './instance-query.js';
import { TrackingStoreReader, type ActiveInstanceCounts, type InstanceSummary } from './tracking-store-reader.js';
import { defaultTrackingStoreNamePrefix } from './tracking-store-schema.js';

export interface TrackingStoresOptions {
  /** The shared store's prefix; default "DurableTask". */
  readonly prefix?: string;
  readonly clientOptions?: TableServiceClientOptions;
  /** Where the version map (which names the other stores) is read. */
  readonly versionMaps: Pick<VersionMapStore, 'read'>;
}

/** Which stores the map names is read again after this long, and at once when an instance is found nowhere. */
const mapMaxAgeMs = 1_000;

export class TrackingStores {
  readonly #storage: TableStorage;
  readonly #options: TrackingStoresOptions;
  readonly #shared: string;
  readonly #readers = new Map<string, TrackingStoreReader>();
  #map: { readonly map: VersionMap; readonly readAt: number } | undefined;
  #reading: Promise<VersionMap> | undefined;

  constructor(storage: TableStorage, options: TrackingStoresOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#shared = options.prefix ?? defaultTrackingStoreNamePrefix;
  }

  async getInstance(instanceId: string): Promise<InstanceSummary | undefined> {
    const shared = await this.#reader(this.#shared).getInstance(instanceId);
    if (shared !== undefined) return shared;
    const searched = new Set<string>([this.#shared]);
    for (const fresh of [false, true]) {
      for (const prefix of ownPrefixes(await this.#versionMap(fresh))) {
        if (searched.has(prefix)) continue;
        searched.add(prefix);
        const found = await this.#reader(prefix).getInstance(instanceId);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /** Unfinished orchestrations of one task hub, counted in the store its app writes. */
  async countActive(taskHub: string): Promise<ActiveInstanceCounts> {
    const map = await this.#versionMap(false);
    return this.#reader(prefixOfTaskHub(map, taskHub) ?? this.#shared).countActive(taskHub);
  }

  /** The same, by the orchestration version each instance records. */
  async countActiveByVersion(taskHub: string): Promise<Map<string, ActiveInstanceCounts>> {
    const map = await this.#versionMap(false);
    return this.#reader(prefixOfTaskHub(map, taskHub) ?? this.#shared).countActiveByVersion(taskHub);
  }

  /** One page; the continuation token says in which store the next one starts. */
  async queryInstances(query: InstanceQuery): Promise<InstancePage> {
    const map = await this.#versionMap(false);
    const groups = this.#groupsOf(map, query.taskHubs);
    let at = query.continuationToken === undefined ? { index: 0, token: undefined as string | undefined } : positionOf(query.continuationToken, groups);
    const instances: InstancePage['instances'][number][] = [];
    while (at.index < groups.length && instances.length < query.top) {
      const group = groups[at.index] as StoreGroup;
      const page = await this.#reader(group.prefix).queryInstances({ ...query, taskHubs: group.taskHubs, top: query.top - instances.length, continuationToken: at.token });
      instances.push(...page.instances);
      at = page.continuationToken === undefined ? { index: at.index + 1, token: undefined } : { index: at.index, token: page.continuationToken };
    }
    const next = groups[at.index];
    return { instances, continuationToken: next === undefined ? undefined : tokenOf(next.prefix, at.token) };
  }

  #groupsOf(map: VersionMap, taskHubs: readonly string[]): StoreGroup[] {
    const byPrefix = new Map<string, string[]>();
    for (const taskHub of taskHubs) {
      const prefix = prefixOfTaskHub(map, taskHub) ?? this.#shared;
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), taskHub]);
    }
    const order = (prefix: string): string => (prefix === this.#shared ? '' : prefix);
    return [...byPrefix].map(([prefix, hubs]) => ({ prefix, taskHubs: hubs })).sort((a, b) => (order(a.prefix) < order(b.prefix) ? -1 : 1));
  }

  #reader(prefix: string): TrackingStoreReader {
    let reader = this.#readers.get(prefix);
    if (reader === undefined) {
      reader = new TrackingStoreReader(this.#storage, { prefix, ...(this.#options.clientOptions === undefined ? {} : { clientOptions: this.#options.clientOptions }) });
      this.#readers.set(prefix, reader);
    }
    return reader;
  }

  async #versionMap(fresh: boolean): Promise<VersionMap> {
    if (!fresh && this.#map !== undefined && Date.now() - this.#map.readAt < mapMaxAgeMs) return this.#map.map;
    this.#reading ??= this.#options.versionMaps.read().then(
      ({ map }) => {
        this.#map = { map, readAt: Date.now() };
        this.#reading = undefined;
        return map;
      },
      (error: unknown) => {
        this.#reading = undefined;
        throw error;
      },
    );
    return this.#reading;
  }
}

interface StoreGroup {
  readonly prefix: string;
  readonly taskHubs: readonly string[];
}

function ownPrefixes(map: VersionMap): string[] {
  return [...new Set(map.versions.flatMap((entry) => (entry.app.trackingStore === undefined ? [] : [entry.app.trackingStore])))].sort();
}

function prefixOfTaskHub(map: VersionMap, taskHub: string): string | undefined {
  return map.versions.find((entry) => entry.app.taskHub === taskHub)?.app.trackingStore;
}

function tokenOf(prefix: string, token: string | undefined): string {
  return Buffer.from(JSON.stringify(token === undefined ? [prefix] : [prefix, token]), 'utf8').toString('base64url');
}

function positionOf(continuationToken: string, groups: readonly StoreGroup[]): { index: number; token: string | undefined } {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(continuationToken, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  if (!Array.isArray(parts) || parts.length < 1 || parts.length > 2 || !parts.every((part) => typeof part === 'string')) throw invalidToken();
  const [prefix, token] = parts as [string, string | undefined];
  const index = groups.findIndex((group) => group.prefix === prefix);
  if (index < 0) throw invalidToken();
  return { index, token };
}

function invalidToken(): RouterError {
  return new RouterError('INVALID_REQUEST', 'The continuationToken is not one this router handed out; start again without it.');
}
