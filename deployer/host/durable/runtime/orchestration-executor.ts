/**
 * Executes orchestration episodes: loads (or reuses) an instance's history, plans the inbox,
 * runs the orchestrator function, and checkpoints. The order of writes is what makes it durable:
 * messages to other instances first, then the history transaction (the checkpoint), then the
 * Instances row and the deletion of consumed messages; only then is new work dispatched.
 */
import type { Logger } from 'pino';
import { RouterError } from '../../../../shared/errors/router-error.js';
import type { RuntimeStatus } from '../../../../shared/tracking-store/tracking-store-schema.js';
import type { FunctionInvoker } from '../../host-contracts.js';
import type { DurableTaskSettings } from '../configuration/durable-task-settings.js';
import {
  EventType, executionStartedOf, orchestratorCompleted, orchestratorStarted, type HistoryEvent, type ParentInstanceInfo,
} from '../history/history-event.js';
import { deterministicGuid } from '../orchestration/deterministic-id.js';
import { decideEpisode, type Completion, type EpisodeResult } from '../orchestration/episode.js';
import { planInbox, viewExecution, type ExecutionStart, type InboxItem, type InboxPlan } from '../orchestration/inbox-plan.js';
import { orchestratorTriggerPayload, defaultHttpAsyncRequestSleepMs } from '../orchestration/orchestrator-payload.js';
import {
  OrchestratorProtocolError, parseOrchestratorFailure, parseOrchestratorResult, type OrchestratorOutcome,
} from '../orchestration/orchestrator-turn.js';
import type { Decision } from '../orchestration/task-replay.js';
import { checkVersion } from '../orchestration/version-check.js';
import { CheckpointConflictError, ValueTooLargeError } from '../storage/storage-errors.js';
import type { InstanceUpdate, TrackingStore } from '../storage/tracking-store.js';
import { newMessageKey, type WorkMessage, type WorkQueue } from '../storage/work-queue.js';
import type { ActivityRunner } from './activity-runner.js';
import type { FunctionDirectory } from './function-directory.js';
import type { EpisodeOutcome } from './instance-scheduler.js';
import { NotOwnerError } from './not-owner-error.js';
import type { TimerService } from './timer-service.js';

export interface OrchestrationExecutorOptions {
  readonly store: TrackingStore;
  readonly work: WorkQueue;
  readonly invoker: FunctionInvoker;
  readonly functions: FunctionDirectory;
  readonly settings: DurableTaskSettings;
  readonly activities: ActivityRunner;
  readonly timers: TimerService;
  /** Hands an item to an instance of this host (after the checkpoint that produced it). */
  readonly post: (instanceId: string, item: InboxItem) => void;
  /** False once this host may no longer work the task hub: nothing more is written. */
  readonly owns: () => boolean;
  readonly logger: Logger;
}

interface CachedInstance {
  events: HistoryEvent[];
  etag: string | undefined;
  /** Keys of consumed messages to recognise when delivered again: the checkpoint's list and those consumed since. */
  consumed: readonly string[];
  /** An execution whose first episode did not finish checkpointing before a crash: it starts again. */
  unfinishedStart?: ExecutionStart;
  /** What this host last wrote to the Instances row for the current execution (undefined: unknown). */
  written?: { readonly executionId: string; readonly status: RuntimeStatus; readonly customStatus: string | undefined };
}

interface EpisodeWrite {
  readonly executionId: string;
  readonly started: HistoryEvent;
  /** Events already checkpointed for this execution (none when it starts now). */
  readonly base: readonly HistoryEvent[];
  readonly appended: readonly HistoryEvent[];
  readonly consumed: readonly string[];
  readonly decisions: readonly Decision[];
  readonly completion?: Completion | { readonly status: 'Terminated'; readonly reason: string };
  readonly status: RuntimeStatus;
  readonly customStatus?: string;
  readonly startsExecution: boolean;
  readonly clientCreated: boolean;
}

/** Whether this app may run an execution, given its version (host.json versioning). */
type VersionGate = { readonly kind: 'run' } | { readonly kind: 'reject' } | { readonly kind: 'fail'; readonly message: string };

const rowUpdateAttempts = 5;
/** Consumed keys remembered in memory per instance, beyond the ones the checkpoint records. */
const recognisedKeys = 1_000;
/** At most this many undeleted keys ride along in a checkpoint (about 40 KB of its 64 KiB column). */
const maxUndeletedKeys = 1_200;
const undeletedRetryMs = 5_000;
const rejectedVersionRetryMs = 60_000;
const finishedMemory = 20_000;

export class OrchestrationExecutor {
  private readonly cache = new Map<string, CachedInstance>();
  /** Executions that ended here, so late timer/activity results for them need no storage read. */
  private readonly finished = new Map<string, string>();
  /** Instances whose last checkpoint failed without a conflict: it may have been applied all the same. */
  private readonly unsureCheckpoints = new Set<string>();
  /**
   * Consumed messages whose deletion failed, by instance. Every checkpoint records them with the
   * ones it consumes, so that they are recognised (and deleted) if delivered again, even after a
   * restart; deletion is retried until it succeeds.
   */
  private readonly undeleted = new Map<string, Set<string>>();
  private readonly deletionRetries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: OrchestrationExecutorOptions) {}

  /** Stops retrying deletions (the messages stay recorded; the next start deletes them). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.deletionRetries.values()) clearTimeout(timer);
    this.deletionRetries.clear();
  }

  async process(instanceId: string, items: readonly InboxItem[]): Promise<EpisodeOutcome> {
    let state = this.cache.get(instanceId);
    if (state === undefined) {
      const finishedExecution = this.finished.get(instanceId);
      if (finishedExecution !== undefined && items.every((item) => item.kind === 'memory' && item.executionId === finishedExecution)) return {};
      // A batch that starts an instance almost always starts a new one: assume there is no history
      // rather than read it; if there is, the checkpoint fails as a conflict and the history is read then.
      state = startsWithStart(items) ? this.assumeNew(instanceId) : await this.load(instanceId);
      if (this.unsureCheckpoints.delete(instanceId)) await this.catchUpWith(instanceId, state);
    }
    try {
      return await this.processLoaded(instanceId, state, items);
    } catch (error) {
      // Whatever the cause, the cached history may now differ from the stored one: reload next time.
      this.cache.delete(instanceId);
      if (!(error instanceof CheckpointConflictError)) {
        // A checkpoint given up on may still land (a stalled store applies it later): what it
        // scheduled is dispatched when the history is read again, or its timers would never fire.
        this.unsureCheckpoints.add(instanceId);
        throw error;
      }
      // The checkpoint that came first may be this host's own, landed late.
      const reloaded = await this.load(instanceId);
      await this.catchUpWith(instanceId, reloaded);
      return this.processLoaded(instanceId, reloaded, items);
    }
  }

  /**
   * A checkpoint this host gave up on may have landed after all: its Instances row update and
   * dispatch never happened. As after a restart, the row is made to say what the history says
   * and what the history schedules and has not answered is run.
   */
  private async catchUpWith(instanceId: string, state: CachedInstance): Promise<void> {
    await this.reconcileRow(instanceId, state);
    this.dispatchPending(instanceId, state);
  }

  private assumeNew(instanceId: string): CachedInstance {
    const state: CachedInstance = { events: [], etag: undefined, consumed: [] };
    this.cache.set(instanceId, state);
    return state;
  }

  private async processLoaded(instanceId: string, state: CachedInstance, items: readonly InboxItem[]): Promise<EpisodeOutcome> {
    let view = viewExecution(state.events, state.consumed);
    const continuation = state.unfinishedStart ?? (view.continued ? this.continuationOf(state.events, view.executionId ?? '') : undefined);
    const plan = planInbox(view, continuation === undefined ? items : [{ kind: 'start', start: continuation }, ...items]);
    for (const reason of plan.dropped) this.options.logger.debug({ instanceId }, `Dropped ${reason}`);
    if (plan.refusedStarts.length > 0) await this.refuseStarts(instanceId, plan.refusedStarts);

    if (plan.start?.handedOver === true && !(await this.startStillWanted(instanceId, plan.start.executionId))) {
      const executionId = plan.start.executionId;
      const retracted = items.filter((item) => item.kind === 'work' && item.message.body.kind === 'start' && item.message.body.executionId === executionId);
      await this.deleteConsumed(instanceId, retracted.map((item) => (item.kind === 'work' ? item.message.key : '')));
      this.options.logger.warn({ instanceId, executionId }, 'Dropped a start handed over by another process whose Pending row is gone (it was answered as failed)');
      return this.processLoaded(instanceId, state, items.filter((item) => !retracted.includes(item)));
    }
    if (plan.start !== undefined) {
      const started = this.executionStarted(instanceId, plan.start);
      const verdict = this.versionVerdict(started);
      if (verdict.kind === 'reject') return { held: items, retryAfterMs: rejectedVersionRetryMs };
      const terminate = plan.control?.kind === 'terminate' ? plan.control : undefined;
      if (terminate !== undefined) {
        await this.terminate(instanceId, state, plan, started, [], true, terminate.reason);
        return { held: plan.held };
      }
      const suspending = plan.control?.kind === 'suspend';
      await this.episode(instanceId, state, plan, started, [], suspending ? [] : plan.events, true, verdict);
      if (suspending) {
        view = viewExecution(state.events, state.consumed);
        if (!view.terminal) await this.suspend(instanceId, state, plan, plan.control?.reason);
      }
    } else if (plan.control?.kind === 'terminate' && view.executionId !== undefined) {
      await this.terminate(instanceId, state, plan, this.currentStart(state), state.events, false, plan.control.reason);
    } else if (plan.control?.kind === 'suspend') {
      await this.suspend(instanceId, state, plan, plan.control.reason);
    } else if ((plan.events.length > 0 || plan.control?.kind === 'resume') && view.executionId !== undefined) {
      const started = this.currentStart(state);
      const verdict = this.versionVerdict(started);
      if (verdict.kind === 'reject') return { held: items, retryAfterMs: rejectedVersionRetryMs };
      const resumed: HistoryEvent[] = plan.control?.kind === 'resume'
        ? [{ EventType: EventType.ExecutionResumed, EventId: -1, Timestamp: new Date().toISOString(), ...reasonField(plan.control.reason) }]
        : [];
      await this.episode(instanceId, state, plan, started, state.events, [...resumed, ...plan.events], false, verdict);
    } else if (plan.consumed.length > 0) {
      await this.deleteConsumed(instanceId, plan.consumed);
    }

    if (plan.recover) {
      if (this.cache.get(instanceId) === state && state.written === undefined) await this.reconcileRow(instanceId, state);
      this.dispatchPending(instanceId, state);
    }
    return { held: plan.held };
  }

  private async startStillWanted(instanceId: string, executionId: string): Promise<boolean> {
    const row = await this.options.store.readInstance(instanceId);
    return row?.executionId === executionId && row.runtimeStatus === 'Pending' && !this.options.store.isRetracting(instanceId, executionId);
  }

  /** Loads the instance from storage. */
  private async load(instanceId: string): Promise<CachedInstance> {
    const stored = await this.options.store.readHistory(instanceId);
    const unfinished = stored.unfinishedStart;
    const state: CachedInstance = {
      events: [...stored.events],
      etag: stored.checkpoint?.etag,
      consumed: stored.checkpoint?.consumed ?? [],
      ...(unfinished?.OrchestrationInstance === undefined ? {} : { unfinishedStart: startOf(unfinished, unfinished.OrchestrationInstance.ExecutionId) }),
    };
    if (unfinished !== undefined) this.options.logger.warn({ instanceId }, 'The last episode of this instance did not finish checkpointing; running it again');
    this.cache.set(instanceId, state);
    return state;
  }

  private currentStart(state: CachedInstance): HistoryEvent {
    const started = executionStartedOf(state.events);
    if (started === undefined) throw new Error('The instance history has no ExecutionStarted event.');
    return started;
  }

  private executionStarted(instanceId: string, start: ExecutionStart): HistoryEvent {
    const version = start.version ?? this.options.settings.defaultVersion;
    return {
      EventType: EventType.ExecutionStarted,
      EventId: -1,
      Timestamp: new Date().toISOString(),
      Name: start.name,
      ...(start.input === undefined ? {} : { Input: start.input }),
      ...(version === '' ? {} : { Version: version }),
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: start.executionId },
      ...(start.parent === undefined ? {} : { ParentInstance: start.parent }),
    };
  }

  /** The next execution of an instance whose history ends with ContinueAsNew (derivable again after a restart). */
  private continuationOf(events: readonly HistoryEvent[], executionId: string): ExecutionStart | undefined {
    const started = executionStartedOf(events);
    const continued = events.find((event) => event.EventType === EventType.ContinueAsNew);
    if (started === undefined || continued === undefined) return undefined;
    return {
      executionId: deterministicGuid(`${executionId}\ncontinue-as-new`).replaceAll('-', ''),
      name: started.Name ?? '',
      ...(continued.Result === undefined ? {} : { input: continued.Result }),
      ...(started.Version === undefined ? {} : { version: started.Version }),
      ...(started.ParentInstance === undefined ? {} : { parent: started.ParentInstance }),
    };
  }

  private versionVerdict(started: HistoryEvent): VersionGate {
    const { settings } = this.options;
    const verdict = checkVersion(started.Version ?? '', settings.defaultVersion, settings.versionMatchStrategy, settings.versionFailureStrategy);
    if (verdict.ok) return { kind: 'run' };
    this.options.logger.warn({ instanceId: started.OrchestrationInstance?.InstanceId }, verdict.message);
    return verdict.action === 'Reject' ? { kind: 'reject' } : { kind: 'fail', message: verdict.message };
  }

  /** Runs the orchestrator over the history plus new events and checkpoints the result. */
  private async episode(
    instanceId: string,
    state: CachedInstance,
    plan: InboxPlan,
    started: HistoryEvent,
    base: readonly HistoryEvent[],
    events: readonly HistoryEvent[],
    startsExecution: boolean,
    verdict: VersionGate,
  ): Promise<void> {
    const now = new Date().toISOString();
    const fresh: HistoryEvent[] = [orchestratorStarted(now), ...(startsExecution ? [started] : []), ...events];
    const history = [...base, ...fresh];
    const executionId = started.OrchestrationInstance?.ExecutionId ?? '';
    const name = started.Name ?? '';
    const outcome: OrchestratorOutcome = verdict.kind === 'fail'
      ? { ok: false, error: verdict.message }
      : await this.invokeOrchestrator(instanceId, name, history, base.length);
    const decided = decideEpisode({
      instanceId, executionId, orchestratorName: name, history, outcome, now,
      functions: this.options.functions, defaultHttpPollIntervalMs: defaultHttpAsyncRequestSleepMs,
    });
    const clientCreated = startsExecution && plan.start?.createdTime !== undefined;
    const write = this.episodeWrite(executionId, started, base, fresh, decided, plan.consumed, startsExecution, clientCreated);
    try {
      await this.commit(instanceId, state, write);
    } catch (error) {
      if (!(error instanceof ValueTooLargeError)) throw error;
      // The checkpoint cannot be stored: fail the execution instead, with what fits.
      const reason = `Orchestrator function '${name}' failed: ${error.message} The local host does not store large messages in blobs; keep inputs, outputs and results under 32,000 characters.`;
      const failed = this.episodeWrite(executionId, started, base, [orchestratorStarted(now), ...(startsExecution ? [withoutInput(started)] : [])], {
        appended: [
          { EventType: EventType.ExecutionCompleted, EventId: -1, Timestamp: now, OrchestrationStatus: 'Failed', Result: reason },
          orchestratorCompleted(now),
        ],
        decisions: [],
        completion: { status: 'Failed', reason, details: reason },
      }, plan.consumed, startsExecution, clientCreated);
      await this.commit(instanceId, state, failed);
    }
  }

  private episodeWrite(
    executionId: string,
    started: HistoryEvent,
    base: readonly HistoryEvent[],
    fresh: readonly HistoryEvent[],
    decided: EpisodeResult,
    consumed: readonly string[],
    startsExecution: boolean,
    clientCreated: boolean,
  ): EpisodeWrite {
    const status: RuntimeStatus = decided.completion?.status ?? 'Running';
    return {
      executionId, started, base, consumed, startsExecution, clientCreated,
      appended: [...fresh, ...decided.appended],
      decisions: decided.decisions,
      ...(decided.completion === undefined ? {} : { completion: decided.completion }),
      status,
      ...(decided.customStatus === undefined ? {} : { customStatus: decided.customStatus }),
    };
  }

  private async invokeOrchestrator(instanceId: string, name: string, history: readonly HistoryEvent[], played: number): Promise<OrchestratorOutcome> {
    const registered = this.options.functions.orchestrator(name);
    if (registered === undefined) {
      return { ok: false, error: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.` };
    }
    let value: unknown;
    try {
      value = await this.options.invoker.invokeDurable(registered, orchestratorTriggerPayload(instanceId, history, played));
    } catch (error) {
      return parseOrchestratorFailure(error);
    }
    try {
      return { ok: true, turn: parseOrchestratorResult(value) };
    } catch (error) {
      if (error instanceof OrchestratorProtocolError) return { ok: false, error: error.message };
      throw error;
    }
  }

  private async terminate(
    instanceId: string,
    state: CachedInstance,
    plan: InboxPlan,
    started: HistoryEvent,
    base: readonly HistoryEvent[],
    startsExecution: boolean,
    reason: string | undefined,
  ): Promise<void> {
    const now = new Date().toISOString();
    const text = reason ?? '';
    await this.commit(instanceId, state, {
      executionId: started.OrchestrationInstance?.ExecutionId ?? '',
      started,
      base,
      appended: [
        orchestratorStarted(now),
        ...(startsExecution ? [started] : []),
        { EventType: EventType.ExecutionTerminated, EventId: -1, Timestamp: now, Input: text },
        { EventType: EventType.ExecutionCompleted, EventId: -1, Timestamp: now, OrchestrationStatus: 'Terminated', Result: text },
        orchestratorCompleted(now),
      ],
      consumed: plan.consumed,
      decisions: [],
      completion: { status: 'Terminated', reason: text },
      status: 'Terminated',
      startsExecution,
      clientCreated: startsExecution && plan.start?.createdTime !== undefined,
    });
  }

  private async suspend(instanceId: string, state: CachedInstance, plan: InboxPlan, reason: string | undefined): Promise<void> {
    const now = new Date().toISOString();
    const started = this.currentStart(state);
    await this.commit(instanceId, state, {
      executionId: started.OrchestrationInstance?.ExecutionId ?? '',
      started,
      base: state.events,
      appended: [
        orchestratorStarted(now),
        { EventType: EventType.ExecutionSuspended, EventId: -1, Timestamp: now, ...reasonField(reason) },
        orchestratorCompleted(now),
      ],
      consumed: plan.start === undefined ? plan.consumed : [],
      decisions: [],
      status: 'Suspended',
      startsExecution: false,
      clientCreated: false,
    });
  }

  private async commit(instanceId: string, state: CachedInstance, write: EpisodeWrite): Promise<void> {
    const { store, work } = this.options;
    const leftovers = [...this.undeleted.get(instanceId) ?? []];
    if (leftovers.length > maxUndeletedKeys) {
      throw new RouterError('STORE_UNAVAILABLE', `${leftovers.length} consumed work messages of instance "${instanceId}" could not be deleted from the work table; its next episode waits until they are.`, {
        details: { instanceId },
      });
    }
    if (!this.options.owns()) throw new NotOwnerError();
    const recorded = [...new Set([...write.consumed, ...leftovers])];
    const outbound = this.outboundMessages(instanceId, write);
    if (outbound.length > 0) await work.put(outbound.map((entry) => entry.message));

    let etag: string;
    try {
      etag = await store.appendHistory(instanceId, write.executionId, write.base.length, write.appended, state.etag, recorded);
    } catch (error) {
      if (error instanceof CheckpointConflictError) {
        this.options.logger.debug({ instanceId }, 'Another writer checkpointed this instance first; reloading its history');
      }
      throw error;
    }
    // Checkpointed: from here on the episode has happened, whatever fails next.
    state.events = [...write.base, ...write.appended];
    state.etag = etag;
    state.consumed = [...new Set([...state.consumed, ...recorded])].slice(-recognisedKeys);
    delete state.unfinishedStart;

    await this.updateInstanceRow(instanceId, state, write);
    if (recorded.length > 0) await this.deleteConsumed(instanceId, write.consumed);

    for (const entry of outbound) this.options.post(entry.message.instanceId, { kind: 'work', message: entry.message });
    this.dispatch(instanceId, write.executionId, write.decisions);

    if (write.completion !== undefined) {
      if (write.completion.status === 'ContinuedAsNew') {
        const next = this.continuationOf(state.events, write.executionId);
        if (next !== undefined) this.options.post(instanceId, { kind: 'start', start: next });
      } else {
        this.cache.delete(instanceId);
        this.finished.set(instanceId, write.executionId);
        if (this.finished.size > finishedMemory) this.finished.delete(this.finished.keys().next().value as string);
      }
    }
  }

  private outboundMessages(instanceId: string, write: EpisodeWrite): { message: WorkMessage }[] {
    const messages: { message: WorkMessage }[] = [];
    const { started } = write;
    for (const decision of write.decisions) {
      if (decision.kind === 'createSubOrchestration') {
        const parent: ParentInstanceInfo = {
          Name: started.Name ?? '',
          ...(started.Version === undefined ? {} : { Version: started.Version }),
          TaskScheduleId: decision.id,
          OrchestrationInstance: { InstanceId: instanceId, ExecutionId: write.executionId },
        };
        messages.push({
          message: {
            instanceId: decision.instanceId,
            key: newMessageKey(),
            body: {
              kind: 'start',
              executionId: deterministicGuid(`${instanceId}\n${write.executionId}\n${decision.id}`).replaceAll('-', ''),
              name: decision.name,
              ...(decision.input === undefined ? {} : { input: decision.input }),
              version: decision.version ?? this.options.settings.defaultVersion,
              parent,
            },
          },
        });
      } else if (decision.kind === 'sendEntityOperation') {
        const { request } = decision;
        messages.push({
          message: {
            instanceId: decision.entityId,
            key: newMessageKey(),
            body: {
              kind: 'entityOperation',
              request: {
                id: request.id, op: request.op, signal: request.signal,
                ...(request.input === undefined ? {} : { input: request.input }),
                parent: request.parent, parentExecution: request.parentExecution,
              },
            },
          },
        });
      }
    }
    const parent = started.ParentInstance;
    const completion = write.completion;
    if (parent !== undefined && completion !== undefined && completion.status !== 'ContinuedAsNew') {
      const now = new Date().toISOString();
      const event: HistoryEvent = completion.status === 'Completed'
        ? { EventType: EventType.SubOrchestrationInstanceCompleted, EventId: -1, Timestamp: now, TaskScheduledId: parent.TaskScheduleId, Result: completion.output }
        : {
          EventType: EventType.SubOrchestrationInstanceFailed, EventId: -1, Timestamp: now, TaskScheduledId: parent.TaskScheduleId,
          Reason: completion.reason, Details: completion.status === 'Failed' ? completion.details : completion.reason,
        };
      messages.push({
        message: {
          instanceId: parent.OrchestrationInstance.InstanceId,
          key: newMessageKey(),
          body: { kind: 'event', event, executionId: parent.OrchestrationInstance.ExecutionId },
        },
      });
    }
    return messages;
  }

  /** Tells the parents of refused sub-orchestration starts that their call failed. */
  private async refuseStarts(instanceId: string, refused: InboxPlan['refusedStarts']): Promise<void> {
    const now = new Date().toISOString();
    const messages = refused.map(({ parent, reason }): WorkMessage => ({
      instanceId: parent.OrchestrationInstance.InstanceId,
      key: newMessageKey(),
      body: {
        kind: 'event',
        executionId: parent.OrchestrationInstance.ExecutionId,
        event: {
          EventType: EventType.SubOrchestrationInstanceFailed, EventId: -1, Timestamp: now, TaskScheduledId: parent.TaskScheduleId,
          Reason: `Sub-orchestration '${instanceId}' could not start: ${reason}`, Details: reason,
        },
      },
    }));
    await this.options.work.put(messages);
    for (const message of messages) this.options.post(message.instanceId, { kind: 'work', message });
  }

  private async updateInstanceRow(instanceId: string, state: CachedInstance, write: EpisodeWrite): Promise<void> {
    const previous = state.written?.executionId === write.executionId ? state.written : undefined;
    const customStatus = write.customStatus ?? (previous?.customStatus === undefined ? undefined : 'null');
    const terminal = write.completion !== undefined;
    if (previous !== undefined && !terminal && previous.status === write.status && previous.customStatus === customStatus) return;

    const now = new Date();
    const update: InstanceUpdate = {
      runtimeStatus: write.status,
      lastUpdatedTime: now,
      ...(customStatus === undefined ? {} : { customStatus }),
      ...(previous === undefined ? this.executionColumns(write) : {}),
      ...completionColumns(write, now),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.store.updateInstance(instanceId, update);
        break;
      } catch (error) {
        if (attempt >= rowUpdateAttempts) {
          this.options.logger.error({ err: error, instanceId }, 'Could not update the Instances row after checkpointing; its status is stale until the next episode');
          return;
        }
        await delay(100 * 2 ** attempt);
      }
    }
    state.written = { executionId: write.executionId, status: write.status, customStatus };
  }

  private executionColumns(write: EpisodeWrite): InstanceUpdate {
    const { started } = write;
    return {
      name: started.Name ?? '',
      executionId: write.executionId,
      ...(started.Version === undefined ? {} : { version: started.Version }),
      ...(started.Input === undefined ? {} : { input: started.Input }),
      // A client start wrote the creation time with the Pending row; other executions start now.
      ...(write.clientCreated ? {} : { createdTime: new Date(started.Timestamp) }),
    };
  }

  /**
   * Deletes consumed messages, with those left over from earlier failures. Ones that cannot be
   * deleted now stay recorded by every checkpoint until a later attempt deletes them.
   */
  private async deleteConsumed(instanceId: string, keys: readonly string[]): Promise<void> {
    const pending = [...new Set([...this.undeleted.get(instanceId) ?? [], ...keys])];
    if (pending.length === 0) return;
    try {
      await this.options.work.delete(instanceId, pending);
    } catch (error) {
      const undeleted = this.undeleted.get(instanceId) ?? new Set<string>();
      for (const key of pending) undeleted.add(key);
      this.undeleted.set(instanceId, undeleted);
      this.options.logger.warn({ err: error, instanceId, messages: undeleted.size }, 'Could not delete consumed work messages; checkpoints record them until a retry deletes them');
      this.retryDeletion(instanceId);
      return;
    }
    const undeleted = this.undeleted.get(instanceId);
    for (const key of pending) undeleted?.delete(key);
    if (undeleted?.size === 0) this.undeleted.delete(instanceId);
  }

  private retryDeletion(instanceId: string): void {
    if (this.stopped || this.deletionRetries.has(instanceId)) return;
    const timer = setTimeout(() => {
      this.deletionRetries.delete(instanceId);
      void this.deleteConsumed(instanceId, []);
    }, undeletedRetryMs);
    timer.unref();
    this.deletionRetries.set(instanceId, timer);
  }

  private dispatch(instanceId: string, executionId: string, decisions: readonly Decision[]): void {
    for (const decision of decisions) {
      if (decision.kind === 'scheduleTask') {
        this.options.activities.enqueue({
          instanceId, executionId, taskId: decision.id,
          name: decision.http === undefined ? this.options.functions.activity(decision.name) ?? decision.name : decision.name,
          ...(decision.input === undefined ? {} : { input: decision.input }),
          ...(decision.http === undefined ? {} : { http: decision.http }),
        });
      } else if (decision.kind === 'createTimer') {
        this.options.timers.schedule(instanceId, executionId, decision.id, decision.fireAt);
      }
    }
  }

  /**
   * After a restart: make the Instances row say what the history says (the host may have died
   * between a checkpoint and the row update).
   */
  private async reconcileRow(instanceId: string, state: CachedInstance): Promise<void> {
    const view = viewExecution(state.events, state.consumed);
    const started = executionStartedOf(state.events);
    if (view.executionId === undefined || started === undefined || view.continued) return;
    const completed = state.events.find((event) => event.EventType === EventType.ExecutionCompleted);
    const status: RuntimeStatus = completed !== undefined
      ? (completed.OrchestrationStatus as RuntimeStatus | undefined) ?? 'Completed'
      : view.suspended ? 'Suspended' : 'Running';
    const now = new Date();
    await this.options.store.updateInstance(instanceId, {
      runtimeStatus: status,
      name: started.Name ?? '',
      executionId: view.executionId,
      ...(started.Version === undefined ? {} : { version: started.Version }),
      ...(started.Input === undefined ? {} : { input: started.Input }),
      lastUpdatedTime: now,
      ...(completed?.Result === undefined ? {} : { output: completed.Result, completedTime: now }),
    });
    state.written = { executionId: view.executionId, status, customStatus: undefined };
    if (completed !== undefined) {
      this.cache.delete(instanceId);
      this.finished.set(instanceId, view.executionId);
    }
  }

  /** After a restart: run again what the history says is scheduled and unanswered. */
  private dispatchPending(instanceId: string, state: CachedInstance): void {
    const view = viewExecution(state.events, state.consumed);
    if (view.executionId === undefined || view.terminal) return;
    const pending: Decision[] = [];
    for (const event of state.events) {
      if (view.answered.has(event.EventId)) continue;
      if (event.EventType === EventType.TaskScheduled) {
        const http = event.Name === 'BuiltIn::HttpActivity' ? httpRequestOf(event.Input) : undefined;
        pending.push({
          kind: 'scheduleTask', id: event.EventId, name: event.Name ?? '',
          ...(event.Input === undefined ? {} : { input: event.Input }),
          ...(http === undefined ? {} : { http }),
        });
      } else if (event.EventType === EventType.TimerCreated && event.FireAt !== undefined) {
        pending.push({ kind: 'createTimer', id: event.EventId, fireAt: event.FireAt });
      }
    }
    this.dispatch(instanceId, view.executionId, pending);
  }
}

function startOf(started: HistoryEvent, executionId: string): ExecutionStart {
  return {
    executionId,
    name: started.Name ?? '',
    ...(started.Input === undefined ? {} : { input: started.Input }),
    ...(started.Version === undefined ? {} : { version: started.Version }),
    ...(started.ParentInstance === undefined ? {} : { parent: started.ParentInstance }),
  };
}

function startsWithStart(items: readonly InboxItem[]): boolean {
  const first = items[0];
  return first?.kind === 'start' || (first?.kind === 'work' && first.message.body.kind === 'start');
}

function completionColumns(write: EpisodeWrite, now: Date): InstanceUpdate {
  const completion = write.completion;
  if (completion === undefined || completion.status === 'ContinuedAsNew') return {};
  const output = completion.status === 'Completed' ? completion.output : completion.reason;
  return { output, completedTime: now };
}

function reasonField(reason: string | undefined): { Reason?: string } {
  return reason === undefined ? {} : { Reason: reason };
}

function withoutInput(started: HistoryEvent): HistoryEvent {
  const { Input: _input, ...rest } = started;
  return rest;
}

function httpRequestOf(input: string | undefined): (Decision & { kind: 'scheduleTask' })['http'] {
  if (input === undefined) return undefined;
  try {
    const request = JSON.parse(input) as { method?: unknown; uri?: unknown; headers?: unknown; content?: unknown; asynchronousPatternEnabled?: unknown };
    if (typeof request.method !== 'string' || typeof request.uri !== 'string') return undefined;
    return {
      method: request.method,
      uri: request.uri,
      headers: typeof request.headers === 'object' && request.headers !== null ? request.headers as Record<string, string> : {},
      ...(typeof request.content === 'string' ? { content: request.content } : {}),
      asynchronousPatternEnabled: request.asynchronousPatternEnabled !== false,
      hasTokenSource: false,
    };
  } catch {
    // Not a request this host wrote: nothing to re-send.
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
