/**
 * The release orchestration's activities. Each one is idempotent: run again after a crash (or a
 * retry), it finds its work done and does not repeat it — the platform's operations are
 * idempotent by app name, deploys skip a package already running, map changes check first.
 */
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';
import { createHash } from 'node:crypto';
import type { AppHealth } from '../../../deployer/platform/platform.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { classifyRelease } from '../../../shared/versions/release-classification.js';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { orchestrationVersioning, planOrchestrationVersioning } from '../../../shared/versions/orchestration-versioning.js';
import type { AppRef, RouteKey, VersionMap } from '../../../shared/versions/version-map.js';
import { appNameFor, taskHubNameFor } from '../../app-configuration/app-naming.js';
import { routerAppSettings } from '../../app-configuration/app-settings.js';
import type { ActivityDefinition } from '../durable/activity-definition.js';
import { runActivity } from '../durable/outcome.js';
import { activityNames } from '../function-names.js';
import { controlPlaneRuntime, type ControlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import {
  activateRelease, failReleaseApp, isolateTrackingStore, noteEntities, promoteRelease, recordPatchRelease, registerReleaseApp, requireEntry,
  withdrawLineageRelease,
} from '../versions/version-changes.js';
import { discardPackageUnlessHealthy } from './package-retention.js';
import { claimKeysOf } from './release-claim-keys.js';
import type { ReleaseKind } from './release-progress.js';
import { placeTrackingStore, type TrackingStorePlacement } from './tracking-store-placement.js';

export interface ReleasePlan {
  readonly kind: ReleaseKind;
  readonly routeKey: RouteKey;
  readonly version: string;
  readonly appName: string;
  readonly taskHub: string;
  /** How it is released (absent in plans made before strategies were recorded, and in app-routing patches). */
  readonly strategy?: ReleaseStrategy;
  /** A patch: the version it follows. */
  readonly previous?: string;
  /**
   * Orchestration versioning onto the app its lineage already has (orchestration-versioning.ts):
   * no new app; the new code is deployed first and the app's defaultVersion raised after.
   */
  readonly onto?: { readonly app: AppRef; readonly defaultVersion: string };
}

export interface PromotionResult {
  readonly current: RouteKey | null;
  readonly draining: readonly RouteKey[];
}

async function plan(input: { version: string; strategy?: ReleaseStrategy }): Promise<ReleasePlan> {
  const runtime = controlPlaneRuntime();
  const { map } = await runtime.store.read();
  if (input.strategy === orchestrationVersioning) {
    const { classification, lineage } = planOrchestrationVersioning(map, input.version);
    if (lineage !== undefined) {
      return {
        kind: classification.kind,
        routeKey: classification.routeKey,
        version: classification.version,
        appName: lineage.app.name,
        taskHub: lineage.app.taskHub,
        strategy: orchestrationVersioning,
        ...(classification.kind === 'patch' ? { previous: classification.previous } : {}),
        onto: { app: lineage.app, defaultVersion: lineage.defaultVersion },
      };
    }
  }
  const classification = classifyRelease(map, input.version, input.strategy);
  if (classification.kind === 'breaking') {
    return {
      kind: 'breaking',
      routeKey: classification.routeKey,
      version: classification.version,
      appName: appNameFor(classification.routeKey, runtime.settings.appNamePrefix),
      taskHub: taskHubNameFor(classification.routeKey, runtime.settings.routerId),
      ...(input.strategy === undefined ? {} : { strategy: input.strategy }),
    };
  }
  // A patch goes onto the app its major.minor already has, whatever it is called.
  const entry = requireEntry(map, classification.routeKey);
  return { kind: 'patch', routeKey: entry.routeKey, version: classification.version, appName: entry.app.name, taskHub: entry.app.taskHub, previous: classification.previous };
}

async function provision(input: { plan: ReleasePlan }): Promise<{ url: string }> {
  const runtime = controlPlaneRuntime();
  const { plan: release } = input;
  if (release.onto !== undefined) {
    // A new major.minor of the lineage: an entry of its own, on the lineage's app.
    const app = release.onto.app;
    await runtime.store.update((map) => registerReleaseApp(map, { version: release.version, app, at: new Date().toISOString(), strategy: orchestrationVersioning }));
    return { url: app.url };
  }
  const platform = await runtime.platform();
  const apps = await platform.list();
  if (!apps.some((existing) => existing.name === release.appName) && apps.length >= runtime.settings.appQuota) {
    const { map } = await runtime.store.read();
    throw quotaReached(runtime.settings.appQuota, apps.length, map.versions.filter((entry) => entry.state === 'drained').map((entry) => entry.routeKey));
  }
  const app = await platform.provision({ appName: release.appName, routeKey: release.routeKey, version: release.version });
  const at = new Date().toISOString();
  await runtime.store.update((map) => registerReleaseApp(map, { version: release.version, app: { name: app.name, url: app.url, taskHub: release.taskHub }, at, ...(release.strategy === undefined ? {} : { strategy: release.strategy }) }));
  return { url: app.url };
}

export interface ConfigureInput {
  readonly plan: ReleasePlan;
  readonly releaseId: string;
  /** The names of the release's own settings; their values are kept sealed by release id. */
  readonly settingNames: readonly string[];
}

async function configure(input: ConfigureInput): Promise<{ configured: boolean }> {
  const runtime = controlPlaneRuntime();
  const { plan: release } = input;
  const appSettings = await releaseSettingsOf(runtime, input);
  const settings = routerAppSettings({
    routeKey: release.routeKey,
    version: release.version,
    routerId: runtime.settings.routerId,
    taskHub: release.taskHub,
    storageConnectionString: runtime.settings.storage,
    trackingStoreNamePrefix: findEntry((await runtime.store.read()).map, release.routeKey)?.app.trackingStore ?? runtime.settings.trackingStorePrefix,
    appSettings,
    orchestrationVersioning: release.strategy === orchestrationVersioning,
  });
  const fingerprint = settingsFingerprint(settings);
  const platform = await runtime.platform();
  const [record, app] = await Promise.all([runtime.appRecords.get(release.appName), platform.get(release.appName)]);
  if (app === undefined) throw new RouterError('PLATFORM_APP_NOT_FOUND', `The app ${release.appName} of ${release.routeKey} does not exist on the platform.`, { details: { appName: release.appName } });
  // Configuring a running app restarts it: skip that when it already has exactly these settings.
  const names = new Set(app.settingNames);
  if (record.settingsFingerprint === fingerprint && Object.keys(settings).every((name) => names.has(name))) return { configured: false };
  await platform.configure(release.appName, settings);
  await runtime.appRecords.setSettingsFingerprint(release.appName, fingerprint);
  return { configured: true };
}

async function releaseSettingsOf(runtime: ControlPlaneRuntime, input: ConfigureInput): Promise<Readonly<Record<string, string>>> {
  if (input.settingNames.length === 0) return {};
  const kept = await runtime.releaseSettings.get(input.releaseId);
  const names = kept === undefined ? [] : Object.keys(kept).sort();
  if (kept === undefined || names.join('\n') !== [...input.settingNames].sort().join('\n')) {
    throw new RouterError('INTERNAL', `The settings of release ${input.releaseId} (${input.settingNames.join(', ')}) are no longer kept by the control plane; release again with its settings.`, {
      details: { releaseId: input.releaseId, settingNames: [...input.settingNames] },
    });
  }
  return kept;
}

async function deploy(input: { appName: string; sha256: string }): Promise<{ deployed: boolean }> {
  const runtime = controlPlaneRuntime();
  const platform = await runtime.platform();
  const app = await platform.get(input.appName);
  if (app?.deployment?.sha256 === input.sha256 && app.state === 'running') return { deployed: false };
  const kept = await runtime.packages.localPath(input.sha256);
  if (kept === undefined) {
    throw new RouterError('INTERNAL', `The package of this release (sha256 ${input.sha256.slice(0, 12)}…) is no longer kept under ${runtime.settings.dataDir}; release it again.`);
  }
  await platform.deploy(input.appName, { path: kept, sha256: input.sha256 });
  return { deployed: true };
}

async function probe(input: { appName: string }): Promise<AppHealth> {
  const platform = await controlPlaneRuntime().platform();
  return platform.health(input.appName);
}

/**
 * Where the release's app keeps its instances (tracking-store-placement.ts): a breaking release
 * whose entities overlap another version's gets a store of its own, recorded before it serves; a
 * patch that would bring such an overlap is refused. Entities of live apps the map does not know
 * yet (entries from before they were recorded) are asked of the platform.
 */
async function placeInstances(input: { plan: ReleasePlan; entities: readonly string[] }): Promise<TrackingStorePlacement> {
  const runtime = controlPlaneRuntime();
  const { plan: release } = input;
  const map = await withLiveEntities(runtime, (await runtime.store.read()).map, release.routeKey);
  // Onto a lineage's app: its instances (entities included) are the app's, wherever it keeps them; it cannot move.
  const placement = placeTrackingStore(map, { routeKey: release.routeKey, kind: release.onto === undefined ? release.kind : 'patch', entities: input.entities, appName: release.appName }, runtime.settings.trackingStorePrefix);
  if (release.kind === 'breaking' && placement.trackingStore !== undefined) {
    const trackingStore = placement.trackingStore;
    await runtime.store.update((current) => isolateTrackingStore(current, release.routeKey, release.appName, trackingStore));
  }
  return placement;
}

async function withLiveEntities(runtime: ControlPlaneRuntime, map: VersionMap, routeKey: RouteKey): Promise<VersionMap> {
  const unknown = map.versions.filter((entry) => entry.routeKey !== routeKey && entry.entities === undefined && (entry.state === 'active' || entry.state === 'draining' || entry.state === 'drained'));
  if (unknown.length === 0) return map;
  const platform = await runtime.platform();
  let known = map;
  for (const entry of unknown) {
    const health = await platform.health(entry.app.name);
    if (health.healthy) known = noteEntities(known, entry.routeKey, health.entities);
  }
  return known;
}

/** `entities` is missing from a release started before they were recorded: they stay unknown. */
async function record(input: { plan: ReleasePlan; sha256: string; entities?: readonly string[] }): Promise<Record<string, never>> {
  const runtime = controlPlaneRuntime();
  const { plan: release } = input;
  // Keys before the map: a front door that sees the app in the map finds its keys already kept.
  const platform = await runtime.platform();
  await runtime.appKeys.put(release.appName, await platform.keys(release.appName));
  await runtime.store.update((map) => {
    const recorded = release.kind === 'breaking' ? activateRelease(map, release.version) : recordPatchRelease(map, release.version);
    return input.entities === undefined ? recorded : noteEntities(recorded, release.routeKey, input.entities);
  });
  const previous = (await runtime.appRecords.get(release.appName)).healthyPackage;
  await runtime.appRecords.setHealthyPackage(release.appName, input.sha256);
  if (previous !== undefined && previous !== input.sha256) await runtime.packages.remove(previous);
  return {};
}

async function promote(input: { routeKey: RouteKey }): Promise<PromotionResult> {
  const { map } = await controlPlaneRuntime().store.update((current) => promoteRelease(current, input.routeKey));
  return { current: map.current, draining: map.versions.filter((entry) => entry.state === 'draining').map((entry) => entry.routeKey) };
}

export interface AbandonInput {
  readonly plan: ReleasePlan;
  readonly sha256: string;
  /** Onto a lineage: the app's defaultVersion may have been raised to the release's (absent: false). */
  readonly versionRaised?: boolean;
}

/** Undoes what a failed release did to its app; says what it did, in sentences for an operator. */
async function abandon(input: AbandonInput): Promise<{ cleanup: string[] }> {
  const runtime = controlPlaneRuntime();
  const { plan: release } = input;
  const platform = await runtime.platform();
  const cleanup: string[] = [];
  if (release.onto !== undefined) return abandonOntoLineage(runtime, input);
  if (release.kind === 'breaking') {
    const { map } = await runtime.store.update((current) => failReleaseApp(current, release.routeKey, release.appName));
    const entry = findEntry(map, release.routeKey);
    if (entry?.state === 'failed') cleanup.push(`${release.routeKey} is marked failed in the version map; nothing routes to it.`);
    await platform.delete(release.appName);
    await runtime.appKeys.remove(release.appName);
    await runtime.appRecords.remove(release.appName);
    cleanup.push(`The app ${release.appName} was deleted.`);
    return { cleanup };
  }
  cleanup.push(...await restoreHealthyPackage(runtime, release, input.sha256, release.previous ?? 'its previous package'));
  cleanup.push(`The version map still says ${release.routeKey} runs ${release.previous ?? 'its previous version'}.`);
  return { cleanup };
}

/**
 * A failed release onto a lineage's app never deletes it: other versions run there. Before the
 * app's defaultVersion was raised, its entry (a new major.minor) goes and the app gets its last
 * healthy package back. After, the entry is marked failed (the app's version may not go below it)
 * and the app keeps the new code: instances may already carry the new version, and only the new
 * code has their branch.
 */
async function abandonOntoLineage(runtime: ControlPlaneRuntime, input: AbandonInput): Promise<{ cleanup: string[] }> {
  const { plan: release } = input;
  const cleanup: string[] = [];
  if (release.kind === 'breaking') {
    const raised = input.versionRaised === true;
    const { map } = await runtime.store.update((current) => (raised ? failReleaseApp : withdrawLineageRelease)(current, release.routeKey, release.appName));
    const state = findEntry(map, release.routeKey)?.state;
    if (state === 'failed') cleanup.push(`${release.routeKey} is marked failed in the version map; the lineage's app ${release.appName} is kept for the versions that run there.`);
    if (state === undefined) cleanup.push(`${release.routeKey} was taken out of the version map (no instance ever got its version); the lineage's app ${release.appName} is kept for the versions that run there.`);
  }
  const lineageVersion = release.onto?.defaultVersion ?? 'its previous version';
  if (input.versionRaised === true) {
    cleanup.push(`The app ${release.appName} keeps ${release.version}'s code and may stamp new instances with ${release.version} (its defaultVersion was being raised when the release failed): only that code has their branch. Release ${release.version} again, or a later version.`);
    return { cleanup };
  }
  cleanup.push(...await restoreHealthyPackage(runtime, release, input.sha256, lineageVersion));
  cleanup.push(`New instances still get ${lineageVersion}.`);
  return { cleanup };
}

/** A failed deploy onto an app that serves already: the package last seen healthy on it goes back. */
async function restoreHealthyPackage(runtime: ControlPlaneRuntime, release: ReleasePlan, sha256: string, previous: string): Promise<string[]> {
  const platform = await runtime.platform();
  const [app, appRecord] = await Promise.all([platform.get(release.appName), runtime.appRecords.get(release.appName)]);
  const healthy = appRecord.healthyPackage;
  const runsFailed = app?.deployment?.sha256 === sha256;
  const healthyPath = runsFailed && healthy !== undefined && healthy !== sha256 ? await runtime.packages.localPath(healthy) : undefined;
  if (!runsFailed) return [`The app ${release.appName} still runs ${previous}.`];
  if (healthy !== undefined && healthyPath !== undefined) {
    await platform.deploy(release.appName, { path: healthyPath, sha256: healthy });
    return [`The package of ${previous} was deployed again to ${release.appName}.`];
  }
  return [`The app ${release.appName} still runs the failed package: no earlier healthy package is kept for it. Release a fixed patch.`];
}

/**
 * The release is over: its claim goes, so do its sealed settings (nothing reads them after
 * configure: a failed patch keeps what it configured), and its package unless an app runs it.
 */
export interface FinishInput {
  readonly routeKey: RouteKey;
  readonly releaseId: string;
  readonly sha256: string;
  readonly keepPackage: boolean;
  /** Which claims it holds besides its major.minor's (absent in releases started before strategies). */
  readonly strategy?: ReleaseStrategy;
}

async function finish(input: FinishInput): Promise<Record<string, never>> {
  const runtime = controlPlaneRuntime();
  await runtime.releaseSettings.remove(input.releaseId);
  if (!input.keepPackage) await discardPackageUnlessHealthy(runtime, input.routeKey, input.sha256);
  for (const key of [...claimKeysOf(input.routeKey, input.strategy)].reverse()) await runtime.claims.release(key, input.releaseId);
  return {};
}

function quotaReached(quota: number, count: number, drained: readonly RouteKey[]): RouterError {
  const advice = drained.length === 0
    ? 'No version is drained yet: drain one (durable-router drain <major.minor>) and decommission it once it has, or raise ROUTER_APP_QUOTA if the subscription allows more.'
    : `Decommission the drained version${drained.length === 1 ? '' : 's'} ${drained.join(', ')} (durable-router decommission <major.minor>), or raise ROUTER_APP_QUOTA if the subscription allows more.`;
  return new RouterError('APP_QUOTA_REACHED', `This router runs ${count} apps, its quota (ROUTER_APP_QUOTA) is ${quota}: a new major.minor needs an app of its own. ${advice}`, {
    details: { quota, apps: count, drained },
  });
}

/** Same settings, same fingerprint, whatever their order; values are hashed, never stored. */
function settingsFingerprint(settings: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('hex');
}

export const releaseActivities: Readonly<Record<string, ActivityDefinition>> = {
  [activityNames.plan]: { handler: (input) => runActivity(() => plan(input as { version: string; strategy?: ReleaseStrategy })) },
  [activityNames.provision]: { handler: (input) => runActivity(() => provision(input as { plan: ReleasePlan })) },
  [activityNames.configure]: { handler: (input) => runActivity(() => configure(input as ConfigureInput)) },
  [activityNames.deploy]: { handler: (input) => runActivity(() => deploy(input as { appName: string; sha256: string })) },
  [activityNames.probe]: { handler: (input) => runActivity(() => probe(input as { appName: string })) },
  [activityNames.placeInstances]: { handler: (input) => runActivity(() => placeInstances(input as { plan: ReleasePlan; entities: readonly string[] })) },
  [activityNames.record]: { handler: (input) => runActivity(() => record(input as { plan: ReleasePlan; sha256: string; entities?: readonly string[] })) },
  [activityNames.promote]: { handler: (input) => runActivity(() => promote(input as { routeKey: RouteKey })) },
  [activityNames.abandon]: { handler: (input) => runActivity(() => abandon(input as AbandonInput)) },
  [activityNames.finish]: { handler: (input) => runActivity(() => finish(input as FinishInput)) },
};
