/**
 * One orchestration episode, decided without I/O: given the execution's history (with this
 * episode's OrchestratorStarted and new events at its end) and what the orchestrator function
 * answered, the events to append, the work to dispatch, and how the execution stands afterwards.
 */
import { EventType, orchestratorCompleted, type HistoryEvent } from '../history/history-event.js';
import type { OrchestratorOutcome } from './orchestrator-turn.js';
import { entityOperationEventName, httpActivityName, replayActions, type Decision } from './task-replay.js';

/** Which functions the app has, by kind, to refuse calls to functions that do not exist. */
export interface FunctionCatalog {
  hasActivity(name: string): boolean;
  hasOrchestrator(name: string): boolean;
  hasEntity(name: string): boolean;
}

export interface EpisodeInput {
  readonly instanceId: string;
  readonly executionId: string;
  readonly orchestratorName: string;
  readonly history: readonly HistoryEvent[];
  readonly outcome: OrchestratorOutcome;
  /** ISO timestamp stamped on the events this episode appends. */
  readonly now: string;
  readonly functions: FunctionCatalog;
  readonly defaultHttpPollIntervalMs: number;
}

export type Completion =
  | { readonly status: 'Completed'; readonly output: string }
  | { readonly status: 'Failed'; readonly reason: string; readonly details: string }
  | { readonly status: 'ContinuedAsNew'; readonly input?: string };

export interface EpisodeResult {
  /** Decision events, the completion event if any, and OrchestratorCompleted. */
  readonly appended: readonly HistoryEvent[];
  readonly decisions: readonly Decision[];
  readonly completion?: Completion;
  /** JSON of the custom status the orchestrator set in this replay, if any. */
  readonly customStatus?: string;
}

export function decideEpisode(input: EpisodeInput): EpisodeResult {
  const { outcome } = input;
  if (!outcome.ok) {
    return fail(input, `Orchestrator function '${input.orchestratorName}' failed: ${outcome.error}`, outcome.error);
  }
  const { turn } = outcome;
  const replay = replayActions({
    instanceId: input.instanceId,
    executionId: input.executionId,
    history: input.history,
    actions: turn.actions,
    defaultHttpPollIntervalMs: input.defaultHttpPollIntervalMs,
  });
  if (!replay.ok) {
    const message = `Non-Deterministic workflow detected in orchestrator function '${input.orchestratorName}': ${replay.nonDeterminism}. `
      + 'An orchestrator must schedule the same tasks in the same order every time it replays; '
      + 'ship changes that alter this as a new version instead of changing the code of in-flight instances.';
    return fail(input, message, message);
  }
  const missing = replay.decisions.map((decision) => missingFunction(decision, input.functions)).find((problem) => problem !== undefined);
  if (missing !== undefined) {
    return fail(input, `Orchestrator function '${input.orchestratorName}' failed: ${missing}`, missing);
  }

  const customStatus = turn.customStatus === undefined || turn.customStatus === null ? undefined : JSON.stringify(turn.customStatus);
  const appended: HistoryEvent[] = replay.decisions.map((decision) => decisionEvent(decision, input.now));
  let completion: Completion | undefined;
  if (turn.isDone) {
    const continueAsNew = turn.actions.find((action) => action.kind === 'continueAsNew');
    if (continueAsNew !== undefined) {
      const nextInput = continueAsNew.input === undefined ? undefined : JSON.stringify(continueAsNew.input);
      completion = { status: 'ContinuedAsNew', ...(nextInput === undefined ? {} : { input: nextInput }) };
      appended.push({
        EventType: EventType.ContinueAsNew, EventId: -1, Timestamp: input.now, OrchestrationStatus: 'ContinuedAsNew',
        ...(nextInput === undefined ? {} : { Result: nextInput }),
      });
    } else {
      const output = JSON.stringify(turn.output ?? null);
      completion = { status: 'Completed', output };
      appended.push({
        EventType: EventType.ExecutionCompleted, EventId: -1, Timestamp: input.now, OrchestrationStatus: 'Completed', Result: output,
      });
    }
  }
  appended.push(orchestratorCompleted(input.now));
  return {
    appended,
    decisions: replay.decisions,
    ...(completion === undefined ? {} : { completion }),
    ...(customStatus === undefined ? {} : { customStatus }),
  };
}

function fail(input: EpisodeInput, reason: string, details: string): EpisodeResult {
  return {
    appended: [
      {
        EventType: EventType.ExecutionCompleted, EventId: -1, Timestamp: input.now, OrchestrationStatus: 'Failed',
        Result: reason, FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: details },
      },
      orchestratorCompleted(input.now),
    ],
    decisions: [],
    completion: { status: 'Failed', reason, details },
  };
}

function missingFunction(decision: Decision, functions: FunctionCatalog): string | undefined {
  switch (decision.kind) {
    case 'scheduleTask':
      return decision.name === httpActivityName || functions.hasActivity(decision.name)
        ? undefined
        : `The function '${decision.name}' doesn't exist, is disabled, or is not an activity function.`;
    case 'createSubOrchestration':
      return functions.hasOrchestrator(decision.name)
        ? undefined
        : `The function '${decision.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    case 'sendEntityOperation': {
      const name = entityNameOf(decision.entityId);
      return functions.hasEntity(name) ? undefined : `The function '${name}' doesn't exist, is disabled, or is not an entity function.`;
    }
    case 'createTimer':
      return undefined;
  }
}

function entityNameOf(entityId: string): string {
  const at = entityId.indexOf('@', 1);
  return at < 0 ? entityId : entityId.slice(1, at);
}

function decisionEvent(decision: Decision, timestamp: string): HistoryEvent {
  switch (decision.kind) {
    case 'scheduleTask':
      return {
        EventType: EventType.TaskScheduled, EventId: decision.id, Timestamp: timestamp, Name: decision.name,
        ...(decision.input === undefined ? {} : { Input: decision.input }),
      };
    case 'createTimer':
      return { EventType: EventType.TimerCreated, EventId: decision.id, Timestamp: timestamp, FireAt: decision.fireAt };
    case 'createSubOrchestration':
      return {
        EventType: EventType.SubOrchestrationInstanceCreated, EventId: decision.id, Timestamp: timestamp,
        Name: decision.name, InstanceId: decision.instanceId,
        ...(decision.input === undefined ? {} : { Input: decision.input }),
        ...(decision.version === undefined ? {} : { Version: decision.version }),
      };
    case 'sendEntityOperation':
      return {
        EventType: EventType.EventSent, EventId: decision.id, Timestamp: timestamp,
        InstanceId: decision.entityId, Name: entityOperationEventName, Input: JSON.stringify(decision.request),
      };
  }
}
