/** Activities of the drain monitor, and those that start and stop monitors (they use the durable client). */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import type { ActivityDefinition } from '../durable/activity-definition.js';
import { ensureStarted, stopIfRunning } from '../durable/instance-status.js';
import { runActivity } from '../durable/outcome.js';
import { activityNames, orchestrationNames } from '../function-names.js';
import { drainMonitorIdFor } from '../releases/release-naming.js';
import { controlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import { recordDrainCheck } from '../versions/version-changes.js';
import { decideDrain, type DrainDecision } from './drain-decision.js';
import { countUnfinished } from './unfinished-instances.js';

export interface DrainMonitorInput {
  readonly routeKey: RouteKey;
}

/** Counts a draining version's unfinished instances, records them (and `drained` at zero), and decides what comes next. */
async function check(input: DrainMonitorInput): Promise<DrainDecision> {
  const runtime = controlPlaneRuntime();
  let map = (await runtime.store.read()).map;
  const entry = findEntry(map, input.routeKey);
  if (entry?.state === 'draining') {
    const counts = await countUnfinished(runtime.tracking, map, entry);
    const countedAt = new Date().toISOString();
    map = (await runtime.store.update((current) => recordDrainCheck(current, input.routeKey, { ...counts, countedAt }))).map;
  }
  return decideDrain(findEntry(map, input.routeKey), new Date(), runtime.settings.drainPollMs, runtime.settings.decommissionGraceMs);
}

/** A drain monitor for every draining or drained version that has none running. */
async function ensureMonitors(context: InvocationContext): Promise<{ started: RouteKey[] }> {
  const client = df.getClient(context);
  const { map } = await controlPlaneRuntime().store.read();
  const started: RouteKey[] = [];
  for (const entry of map.versions) {
    if (entry.state !== 'draining' && entry.state !== 'drained') continue;
    const input: DrainMonitorInput = { routeKey: entry.routeKey };
    if ((await ensureStarted(client, orchestrationNames.drainMonitor, drainMonitorIdFor(entry.routeKey), input)) === 'started') started.push(entry.routeKey);
  }
  return { started };
}

async function stopMonitor(input: { routeKey: RouteKey; reason: string }, context: InvocationContext): Promise<{ stopped: boolean }> {
  return { stopped: await stopIfRunning(df.getClient(context), drainMonitorIdFor(input.routeKey), input.reason) };
}

export const drainActivities: Readonly<Record<string, ActivityDefinition>> = {
  [activityNames.drainCheck]: { handler: (input) => runActivity(() => check(input as DrainMonitorInput)) },
  [activityNames.ensureDrainMonitors]: { durableClient: true, handler: (_input, context) => runActivity(() => ensureMonitors(context)) },
  [activityNames.stopDrainMonitor]: { durableClient: true, handler: (input, context) => runActivity(() => stopMonitor(input as { routeKey: RouteKey; reason: string }, context)) },
};
