/** The version map: which Function App serves each breaking version (major.minor). Pure data. */
import type { ReleaseStrategy } from './release-strategy.js';

export const versionStates = ['provisioning', 'active', 'draining', 'drained', 'decommissioned', 'failed'] as const;
export type VersionState = (typeof versionStates)[number];

/** "major.minor", e.g. "1.2": the unit that gets its own app. */
export type RouteKey = string;

export interface AppRef {
  /** Platform name of the Function App. */
  readonly name: string;
  /** Base URL the front door proxies to, e.g. "http://127.0.0.1:7101". */
  readonly url: string;
  /** The app's own task hub; matches `TaskHubName` in the shared Instances table. */
  readonly taskHub: string;
  /**
   * The tracking store prefix its instances are in when it is not the shared one: the app registers
   * a durable entity that an older version's app registers too, and entity ids are the same in
   * every app (`@name@key`), so sharing one Instances and History table would mix their state.
   */
  readonly trackingStore?: string | undefined;
}

export interface InstanceCounts {
  readonly pending: number;
  readonly running: number;
  readonly suspended: number;
  readonly countedAt: string;
}

export interface VersionEntry {
  readonly routeKey: RouteKey;
  readonly state: VersionState;
  /** Every full version deployed onto this app, ascending; the last is `latest`. */
  readonly versions: readonly string[];
  readonly latest: string;
  readonly app: AppRef;
  /** How its versions are released; absent: app-routing (entries from before strategies were recorded). */
  readonly strategy?: ReleaseStrategy | undefined;
  readonly createdAt: string;
  readonly drainedAt?: string | undefined;
  readonly decommissionedAt?: string | undefined;
  readonly instances?: InstanceCounts | undefined;
  /** The durable entities its app registers (lower case, as entity ids carry them); unknown for entries from before they were recorded. */
  readonly entities?: readonly string[] | undefined;
}

export interface VersionMap {
  /** Route key of the current version, or null before the first release. */
  readonly current: RouteKey | null;
  readonly versions: readonly VersionEntry[];
}

export const emptyVersionMap: VersionMap = Object.freeze({ current: null, versions: Object.freeze([]) });
