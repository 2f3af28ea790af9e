/**
 * Operator actions as short orchestrations, so that each finishes even if the control plane
 * restarts half way (a decommission that marked the map but had not deleted the app yet, a drain
 * whose monitor was not started yet). Each returns an Outcome.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import { asOutcome, callActivity } from '../durable/activity-call.js';
import { activityNames } from '../function-names.js';
import { decommissionSteps } from './decommission-steps.js';
import type { VersionChange } from './version-activities.js';

interface DecommissionOperationInput {
  readonly routeKey: RouteKey;
  readonly force: boolean;
}

/** Makes a version current; a rollback to a draining or drained version also stops its drain monitor. */
export const makeCurrentOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { routeKey } = context.df.getInput<{ routeKey: RouteKey }>();
  return yield* asOutcome((function* (): Generator<Task, VersionChange, unknown> {
    const change = yield* callActivity<VersionChange>(context, activityNames.setCurrent, { routeKey });
    yield* callActivity(context, activityNames.stopDrainMonitor, { routeKey, reason: `${routeKey} was made current` });
    return change;
  })());
};

export const drainOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { routeKey } = context.df.getInput<{ routeKey: RouteKey }>();
  return yield* asOutcome((function* (): Generator<Task, VersionChange, unknown> {
    const change = yield* callActivity<VersionChange>(context, activityNames.drain, { routeKey });
    yield* callActivity(context, activityNames.ensureDrainMonitors, {});
    return change;
  })());
};

export const decommissionOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<DecommissionOperationInput>();
  return yield* asOutcome((function* (): Generator<Task, VersionChange, unknown> {
    const change = yield* decommissionSteps(context, input.routeKey, input.force);
    yield* callActivity(context, activityNames.stopDrainMonitor, { routeKey: input.routeKey, reason: `${input.routeKey} was decommissioned` });
    return change;
  })());
};
