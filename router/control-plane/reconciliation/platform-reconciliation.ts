/**
 * When the control plane starts, it squares the version map with what the platform holds:
 * - an app the map routes to (active, draining, drained) that the platform no longer has is
 *   reported: its version cannot serve, and an operator must decide (roll back, or release again);
 * - an app of this router that no version names, that no release in progress claims and that runs
 *   no code (a release killed between creating the app and recording it in the map, which it does
 *   before deploying) is deleted; one that runs code is only reported (it may be another control
 *   plane's, started on the wrong storage account), and nothing is deleted while no version map has
 *   ever been written (a control plane on fresh or wrong storage would see every app as unnamed);
 * - the keys of every app the map routes to are stored again, sealed with the current secrets key,
 *   so a rotated ROUTER_SECRETS_KEY or a key rotated on the platform reaches the front doors.
 */
import type { Platform } from '../../../deployer/platform/platform.js';
import type { AppKeyStore } from '../../../shared/stores/app-key-store.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import type { ReleaseClaims } from '../storage/release-claims.js';

export interface ReconciliationReport {
  /** Route keys whose app the map names but the platform does not have. */
  readonly missing: readonly { readonly routeKey: string; readonly app: string }[];
  /** Apps no version names, deleted. */
  readonly deleted: readonly string[];
  /** Apps no version names that run code, or found while no map was ever written: left alone. */
  readonly unnamed: readonly string[];
  /** Apps no version names yet whose major.minor a release in progress claims: left to that release. */
  readonly claimed: readonly string[];
  /** Apps whose keys were stored again. */
  readonly keysStored: readonly string[];
  /** What could not be done, in sentences for an operator (nothing secret). */
  readonly failures: readonly string[];
}

export interface ReconciliationInput {
  readonly map: VersionMap;
  /** False when no version map was ever written to the store. */
  readonly mapRecorded: boolean;
  readonly platform: Platform;
  readonly claims: Pick<ReleaseClaims, 'get'>;
  readonly appKeys: AppKeyStore;
  /** Forgets what the control plane kept about an app it deleted (its record). */
  readonly forget: (appName: string) => Promise<void>;
}

const routedStates = new Set(['active', 'draining', 'drained']);

export async function reconcilePlatform(input: ReconciliationInput): Promise<ReconciliationReport> {
  const { map, platform } = input;
  const apps = await platform.list();
  const existing = new Map(apps.map((app) => [app.name, app]));
  const named = new Set(map.versions.map((entry) => entry.app.name));
  const missing: { routeKey: string; app: string }[] = [];
  const deleted: string[] = [];
  const unnamed: string[] = [];
  const claimed: string[] = [];
  const keysStored: string[] = [];
  const failures: string[] = [];

  for (const entry of map.versions) {
    if (!routedStates.has(entry.state)) continue;
    const app = existing.get(entry.app.name);
    if (app === undefined) {
      missing.push({ routeKey: entry.routeKey, app: entry.app.name });
      continue;
    }
    if (app.deployment === undefined) continue;
    try {
      await input.appKeys.put(app.name, await platform.keys(app.name));
      keysStored.push(app.name);
    } catch (error) {
      failures.push(`The keys of ${app.name} (${entry.routeKey}) could not be stored again: ${messageOf(error)}`);
    }
  }

  for (const app of apps) {
    if (named.has(app.name)) continue;
    try {
      if ((await input.claims.get(app.routeKey)) !== undefined) {
        claimed.push(app.name);
        continue;
      }
      if (!input.mapRecorded || app.deployment !== undefined) {
        unnamed.push(app.name);
        continue;
      }
      await platform.delete(app.name);
      await input.appKeys.remove(app.name);
      await input.forget(app.name);
      deleted.push(app.name);
    } catch (error) {
      failures.push(`The app ${app.name}, which no version names, could not be deleted: ${messageOf(error)}`);
    }
  }
  return { missing, deleted, unnamed, claimed, keysStored, failures };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
