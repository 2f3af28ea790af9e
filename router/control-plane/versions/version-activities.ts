/** Activities of the operator actions: make current, drain, decommission. */
import { RouterError } from '../../../shared/errors/router-error.js';
import { otherLiveEntriesOnApp } from '../../../shared/versions/orchestration-versioning.js';
import { makeCurrent } from '../../../shared/versions/version-map-operations.js';
import type { RouteKey, VersionState } from '../../../shared/versions/version-map.js';
import type { ActivityDefinition } from '../durable/activity-definition.js';
import { runActivity } from '../durable/outcome.js';
import { activityNames } from '../function-names.js';
import { controlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import { decommissionVersion, drainVersion, requireEntry } from './version-changes.js';

export interface VersionChange {
  readonly routeKey: RouteKey;
  readonly state: VersionState;
  readonly current: RouteKey | null;
  readonly app: string;
}

async function setCurrent(input: { routeKey: RouteKey }): Promise<VersionChange> {
  const { map } = await controlPlaneRuntime().store.update((current) => makeCurrent(current, input.routeKey));
  const entry = requireEntry(map, input.routeKey);
  return { routeKey: entry.routeKey, state: entry.state, current: map.current, app: entry.app.name };
}

async function drain(input: { routeKey: RouteKey }): Promise<VersionChange> {
  const { map } = await controlPlaneRuntime().store.update((current) => drainVersion(current, input.routeKey));
  const entry = requireEntry(map, input.routeKey);
  return { routeKey: entry.routeKey, state: entry.state, current: map.current, app: entry.app.name };
}

export interface Decommissioning extends VersionChange {
  /** How long to wait before deleting the app, so that every front door has stopped routing to it. */
  readonly settleMs: number;
}

/**
 * Decommissioning is two steps: the map says `decommissioned` first, so that front doors stop
 * routing to the app, and once they all have, the app is deleted (`deleteApp`). Run again after a
 * crash in between, the map is already right and the delete finishes the job.
 */
async function decommission(input: { routeKey: RouteKey; force: boolean }): Promise<Decommissioning> {
  const runtime = controlPlaneRuntime();
  const { map } = await runtime.store.update((current) => decommissionVersion(current, input.routeKey, new Date().toISOString(), input.force));
  const entry = requireEntry(map, input.routeKey);
  return { routeKey: entry.routeKey, state: entry.state, current: map.current, app: entry.app.name, settleMs: runtime.settings.mapPropagationMs };
}

/**
 * Deletes a decommissioned version's app, then its kept package and record; an app that other
 * live versions share (orchestration versioning) is kept: the last of them deletes it.
 */
async function deleteApp(input: { routeKey: RouteKey }): Promise<VersionChange> {
  const runtime = controlPlaneRuntime();
  const { map } = await runtime.store.read();
  const entry = requireEntry(map, input.routeKey);
  if (entry.state !== 'decommissioned') {
    throw new RouterError('VERSION_STATE_CONFLICT', `Version ${input.routeKey} is ${entry.state}, not decommissioned: its app ${entry.app.name} is kept.`, { details: { routeKey: input.routeKey, state: entry.state } });
  }
  const sharing = otherLiveEntriesOnApp(map, input.routeKey);
  if (sharing.length > 0) {
    runtime.logger.info({ routeKey: input.routeKey, app: entry.app.name, sharing }, 'kept the app of a decommissioned version: other versions run on it');
    return { routeKey: entry.routeKey, state: entry.state, current: map.current, app: entry.app.name };
  }
  const platform = await runtime.platform();
  await platform.delete(entry.app.name);
  await runtime.appKeys.remove(entry.app.name);
  const healthy = (await runtime.appRecords.get(entry.app.name)).healthyPackage;
  if (healthy !== undefined) await runtime.packages.remove(healthy);
  await runtime.appRecords.remove(entry.app.name);
  runtime.logger.info({ routeKey: input.routeKey, app: entry.app.name }, 'deleted the app of a decommissioned version');
  return { routeKey: entry.routeKey, state: entry.state, current: map.current, app: entry.app.name };
}

export const versionActivities: Readonly<Record<string, ActivityDefinition>> = {
  [activityNames.setCurrent]: { handler: (input) => runActivity(() => setCurrent(input as { routeKey: RouteKey })) },
  [activityNames.drain]: { handler: (input) => runActivity(() => drain(input as { routeKey: RouteKey })) },
  [activityNames.decommission]: { handler: (input) => runActivity(() => decommission(input as { routeKey: RouteKey; force: boolean })) },
  [activityNames.deleteApp]: { handler: (input) => runActivity(() => deleteApp(input as { routeKey: RouteKey })) },
};
