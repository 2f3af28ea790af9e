/**
 * The release orchestration (instance id = release id). Orchestrator code only: deterministic,
 * every effect in an activity, the time from the orchestration context. Steps:
 * validate → (breaking: provision) → configure → deploy → wait until healthy → place its instances
 * (a breaking release whose entities overlap another version's is configured again with a tracking
 * store of its own, tracking-store-placement.ts) → record in the map
 * → (breaking and promote: make current, drain what it supersedes, start their drain monitors).
 * Orchestration versioning onto its lineage's app (no new app): deploy → wait until healthy →
 * place → raise the app's defaultVersion (configure) → wait until healthy → record → ...
 * A failure before the version is recorded undoes what the release did to its app (a breaking
 * release's app is deleted and its entry marked failed; a patch's app gets its previous package
 * back), so the map never points at an app that did not become healthy.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { AppHealth } from '../../../deployer/platform/platform.js';
import { callActivity, StepFailure } from '../durable/activity-call.js';
import type { ErrorBody } from '../durable/outcome.js';
import { activityNames } from '../function-names.js';
import type { PromotionResult, ReleasePlan } from './release-activities.js';
import { progressOf, runningStatus, type ReleaseInput, type ReleaseOutcome, type ReleaseStatus, type ReleaseStep } from './release-progress.js';
import { describeOverlaps, type TrackingStorePlacement } from './tracking-store-placement.js';

export const releaseOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ReleaseInput>();
  let step: ReleaseStep = 'validating';
  let plan: ReleasePlan | undefined;
  let recorded = false;
  let versionRaised = false;
  const report = (next: ReleaseStep, extra: Partial<ReleaseStatus> = {}, progress = progressOf(next)): void => {
    step = next;
    context.df.setCustomStatus(runningStatus(input, next, { ...(plan === undefined ? {} : { kind: plan.kind, app: plan.appName }), ...extra }, progress));
  };

  try {
    report('validating');
    plan = yield* callActivity<ReleasePlan>(context, activityNames.plan, { version: input.version, strategy: input.strategy });
    if (plan.kind === 'breaking') {
      report('provisioning');
      yield* callActivity(context, activityNames.provision, { plan });
    }
    let health: AppHealth;
    if (plan.onto === undefined) {
      report('configuring');
      yield* callActivity(context, activityNames.configure, { plan, releaseId: input.releaseId, settingNames: input.settingNames });
      report('deploying');
      yield* callActivity(context, activityNames.deploy, { appName: plan.appName, sha256: input.sha256 });
      health = yield* waitUntilHealthy(context, input, plan.appName, report);
      const placement = yield* callActivity<TrackingStorePlacement>(context, activityNames.placeInstances, { plan, entities: health.entities });
      if (plan.kind === 'breaking' && placement.trackingStore !== undefined) {
        report('isolating-entities', { detail: `its entities are also registered by ${describeOverlaps(placement.overlaps)}: its instances go to the tracking store ${placement.trackingStore}` });
        yield* callActivity(context, activityNames.configure, { plan, releaseId: input.releaseId, settingNames: input.settingNames });
        yield* waitUntilHealthy(context, input, plan.appName, report, 'isolating-entities');
      }
    } else {
      // Onto the lineage's app: code first, then the version. The new code runs the older versions'
      // branches, so what starts meanwhile (stamped with the old defaultVersion) is safe; the other
      // way round the old code would start instances stamped with a version whose branch it lacks.
      report('deploying', { detail: `onto ${plan.appName}, which runs ${plan.onto.defaultVersion}` });
      yield* callActivity(context, activityNames.deploy, { appName: plan.appName, sha256: input.sha256 });
      health = yield* waitUntilHealthy(context, input, plan.appName, report);
      yield* callActivity<TrackingStorePlacement>(context, activityNames.placeInstances, { plan, entities: health.entities });
      report('raising-version', { detail: `new instances get ${plan.version} instead of ${plan.onto.defaultVersion}` });
      versionRaised = true;
      yield* callActivity(context, activityNames.configure, { plan, releaseId: input.releaseId, settingNames: input.settingNames });
      health = yield* waitUntilHealthy(context, input, plan.appName, report, 'raising-version');
    }
    report('recording');
    yield* callActivity(context, activityNames.record, { plan, sha256: input.sha256, entities: health.entities });
    recorded = true;
    let promotion: PromotionResult | undefined;
    if (plan.kind === 'breaking' && input.promote) {
      report('promoting');
      promotion = yield* callActivity<PromotionResult>(context, activityNames.promote, { routeKey: plan.routeKey });
      report('starting-drain', { detail: promotion.draining.length === 0 ? 'no version to drain' : `draining ${promotion.draining.join(', ')}` });
      yield* callActivity(context, activityNames.ensureDrainMonitors, {});
    }
    yield* callActivity(context, activityNames.finish, { routeKey: input.routeKey, releaseId: input.releaseId, sha256: input.sha256, keepPackage: true, strategy: input.strategy });
    const outcome: ReleaseOutcome = {
      state: 'succeeded',
      version: input.version,
      routeKey: plan.routeKey,
      kind: plan.kind,
      app: plan.appName,
      ...(promotion === undefined ? {} : { current: promotion.current, draining: promotion.draining }),
    };
    context.df.setCustomStatus({ ...runningStatus(input, 'done', { kind: plan.kind, app: plan.appName }), state: 'succeeded' });
    return outcome;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    const failedStep: ReleaseStep = step;
    const cleanup: string[] = [];
    if (plan !== undefined && !recorded) {
      report('rolling-back', { failedStep, error: error.error });
      const undone = yield* attempt<{ cleanup: string[] }>(context, activityNames.abandon, { plan, sha256: input.sha256, versionRaised }, 'Undoing the release failed', cleanup);
      if (undone !== undefined) cleanup.push(...undone.cleanup);
    } else if (plan !== undefined) {
      cleanup.push(`${input.version} was recorded and serves on ${plan.appName}; only "${failedStep}" failed: make it current or drain older versions yourself.`);
    }
    yield* attempt(context, activityNames.finish, { routeKey: input.routeKey, releaseId: input.releaseId, sha256: input.sha256, keepPackage: recorded, strategy: input.strategy }, 'Releasing the claim on the major.minor failed', cleanup);
    const outcome: ReleaseOutcome = {
      state: 'failed',
      version: input.version,
      routeKey: input.routeKey,
      ...(plan === undefined ? {} : { kind: plan.kind, app: plan.appName }),
      failedStep,
      error: error.error,
      cleanup,
    };
    context.df.setCustomStatus({ ...runningStatus(input, 'done', { failedStep, error: error.error }), state: 'failed' });
    return outcome;
  }
};

/** Probes the app's health, with durable timers in between, until it is healthy or the time is up. */
function* waitUntilHealthy(
  context: OrchestrationContext, input: ReleaseInput, appName: string, report: (step: ReleaseStep, extra?: Partial<ReleaseStatus>, progress?: number) => void,
  step: 'waiting-for-health' | 'isolating-entities' | 'raising-version' = 'waiting-for-health',
): Generator<Task, AppHealth, unknown> {
  const started = context.df.currentUtcDateTime.getTime();
  if (step === 'waiting-for-health') report(step);
  for (;;) {
    const health = yield* callActivity<AppHealth>(context, activityNames.probe, { appName });
    if (health.healthy) return health;
    const elapsed = context.df.currentUtcDateTime.getTime() - started;
    if (elapsed >= input.health.timeoutMs) {
      const error: ErrorBody = {
        code: 'PLATFORM_DEPLOY_FAILED',
        message: `The app ${appName} did not become healthy within ${input.health.timeoutMs} ms: ${health.detail}`,
        details: { appName, state: health.state },
      };
      throw new StepFailure(error);
    }
    report(step, { detail: health.detail }, progressOf(step, elapsed / input.health.timeoutMs));
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.health.intervalMs));
  }
}

/** A clean-up step whose failure is reported, not thrown: the release has failed already. */
function* attempt<T>(context: OrchestrationContext, name: string, activityInput: unknown, failure: string, notes: string[]): Generator<Task, T | undefined, unknown> {
  try {
    return yield* callActivity<T>(context, name, activityInput);
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    notes.push(`${failure}: ${error.error.message}`);
    return undefined;
  }
}
