/**
 * The drain monitor of one major.minor (instance id `drain-monitor-<routeKey>`): an eternal
 * orchestration that checks the version, waits on a durable timer and continues as new, so its
 * history stays short however long the drain takes. It ends when the version is decommissioned
 * (by it, after the grace period) or is no longer draining (a rollback made it active again).
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { callActivity, StepFailure } from '../durable/activity-call.js';
import { activityNames } from '../function-names.js';
import { decommissionSteps } from '../versions/decommission-steps.js';
import type { DrainMonitorInput } from './drain-activities.js';
import type { DrainDecision } from './drain-decision.js';

/** After a step that failed even with retries (storage down for a while), the next check waits this long. */
const afterFailureMs = 10_000;

export const drainMonitorOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<DrainMonitorInput>();
  // Checks are spaced from the start of one to the start of the next, so a drained version is
  // noticed within one poll interval, however long a check takes.
  const checkStartedAt = context.df.currentUtcDateTime.getTime();
  let delayMs: number;
  try {
    const decision = yield* callActivity<DrainDecision>(context, activityNames.drainCheck, input);
    if (decision.action === 'stop') {
      context.df.setCustomStatus({ routeKey: input.routeKey, state: 'stopped', reason: decision.reason });
      return { routeKey: input.routeKey, ended: decision.reason };
    }
    if (decision.action === 'decommission') {
      context.df.setCustomStatus({ routeKey: input.routeKey, state: 'decommissioning' });
      yield* decommissionSteps(context, input.routeKey, false);
      context.df.setCustomStatus({ routeKey: input.routeKey, state: 'decommissioned' });
      return { routeKey: input.routeKey, ended: 'decommissioned' };
    }
    context.df.setCustomStatus({ routeKey: input.routeKey, state: 'watching', nextCheckInMs: decision.delayMs });
    delayMs = decision.delayMs;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    context.df.setCustomStatus({ routeKey: input.routeKey, state: 'retrying', error: error.error });
    delayMs = afterFailureMs;
  }
  yield context.df.createTimer(new Date(Math.max(checkStartedAt + delayMs, context.df.currentUtcDateTime.getTime())));
  context.df.continueAsNew(input);
  return undefined;
};
