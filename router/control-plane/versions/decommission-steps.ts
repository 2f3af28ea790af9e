/** Orchestrator steps shared by the drain monitor and the operator's decommission. Deterministic. */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import { callActivity } from '../durable/activity-call.js';
import { activityNames } from '../function-names.js';
import type { Decommissioning, VersionChange } from './version-activities.js';

/** Marks the version decommissioned, waits (durable timer) until front doors have seen it, deletes its app. */
export function* decommissionSteps(context: OrchestrationContext, routeKey: RouteKey, force: boolean): Generator<Task, VersionChange, unknown> {
  const marked = yield* callActivity<Decommissioning>(context, activityNames.decommission, { routeKey, force });
  if (marked.settleMs > 0) yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + marked.settleMs));
  return yield* callActivity<VersionChange>(context, activityNames.deleteApp, { routeKey });
}
