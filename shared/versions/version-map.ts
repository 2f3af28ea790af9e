/** The version map: which Function App serves each breaking version (major.minor). Pure data. */

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
  readonly createdAt: string;
  readonly drainedAt?: string | undefined;
  readonly decommissionedAt?: string | undefined;
  readonly instances?: InstanceCounts | undefined;
}

export interface VersionMap {
  /** Route key of the current version, or null before the first release. */
  readonly current: RouteKey | null;
  readonly versions: readonly VersionEntry[];
}

export const emptyVersionMap: VersionMap = Object.freeze({ current: null, versions: Object.freeze([]) });
