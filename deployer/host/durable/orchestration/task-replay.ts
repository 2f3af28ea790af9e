/**
 * Replays an orchestrator's cumulative action list against its history, the way the Durable
 * Functions extension does for out-of-process languages: actions are issued in order, each one
 * only once the previous has completed (per the history), every scheduled task takes the next
 * sequence number, and retries / HTTP polling take further numbers as their failures, timers and
 * responses are played. The result is the work that is new in this episode, or the first point
 * where the code and the history disagree (a non-deterministic orchestrator).
 *
 * Where the JavaScript library and the .NET extension differ (Task.all fails as soon as one task
 * fails; HTTP polling reserves its timer and request ids together), this follows the library,
 * since it is the library that must replay correctly.
 */
import { deterministicGuid } from './deterministic-id.js';
import { EventType, answeredTaskId, type HistoryEvent } from '../history/history-event.js';
import type { DurableHttpRequest, OrchestratorAction, RetryPolicy } from './orchestrator-turn.js';

/** The activity name the extension gives `callHttp` requests. */
export const httpActivityName = 'BuiltIn::HttpActivity';

/** Name of the EventSent events that carry entity operations. */
export const entityOperationEventName = 'op';

/** Work an episode schedules; each becomes a history event and something to dispatch. */
export type Decision =
  | { readonly kind: 'scheduleTask'; readonly id: number; readonly name: string; readonly input?: string; readonly http?: DurableHttpRequest }
  | { readonly kind: 'createTimer'; readonly id: number; readonly fireAt: string }
  | {
    readonly kind: 'createSubOrchestration'; readonly id: number; readonly name: string; readonly instanceId: string;
    readonly input?: string; readonly version?: string;
  }
  | { readonly kind: 'sendEntityOperation'; readonly id: number; readonly entityId: string; readonly request: EntityRequestMessage };

/** The RequestMessage an orchestration sends to an entity (EventSent.Input, JSON). */
export interface EntityRequestMessage {
  readonly id: string;
  readonly op: string;
  readonly signal: boolean;
  readonly input?: string;
  readonly parent: string;
  readonly parentExecution: string;
  readonly timestamp: string;
}

export interface ReplayInput {
  readonly instanceId: string;
  readonly executionId: string;
  /** The whole history of the execution, including this episode's OrchestratorStarted and new events. */
  readonly history: readonly HistoryEvent[];
  readonly actions: readonly OrchestratorAction[];
  readonly defaultHttpPollIntervalMs: number;
}

export type ReplayResult =
  | { readonly ok: true; readonly decisions: readonly Decision[] }
  | { readonly ok: false; readonly nonDeterminism: string };

export function replayActions(input: ReplayInput): ReplayResult {
  const replay = new TaskReplay(input);
  try {
    replay.run();
    return { ok: true, decisions: replay.decisions };
  } catch (error) {
    if (error instanceof NonDeterminismError) return { ok: false, nonDeterminism: error.message };
    throw error;
  }
}

class NonDeterminismError extends Error {}

type Settle = (succeeded: boolean) => void;

/** What a sequence number must hold in the history for the replay to agree with it. */
type Expected =
  | { readonly type: typeof EventType.TaskScheduled; readonly name: string; readonly what: string }
  | { readonly type: typeof EventType.TimerCreated; readonly what: string }
  | { readonly type: typeof EventType.SubOrchestrationInstanceCreated; readonly name: string; readonly what: string }
  | { readonly type: typeof EventType.EventSent; readonly target: string; readonly what: string };

const scheduledEventTypes = new Set<number>([
  EventType.TaskScheduled, EventType.TimerCreated, EventType.SubOrchestrationInstanceCreated, EventType.EventSent,
]);

class TaskReplay {
  readonly decisions: Decision[] = [];
  private nextId = 0;
  private now = new Date(0);
  private started = false;
  private readonly recorded = new Map<number, HistoryEvent>();
  private readonly scheduled = new Map<number, Expected>();
  private readonly pending = new Map<number, (event: HistoryEvent) => void>();
  private readonly eventWaiters = new Map<string, Array<() => void>>();
  private readonly bufferedEvents = new Map<string, number>();

  constructor(private readonly input: ReplayInput) {
    for (const event of input.history) {
      if (scheduledEventTypes.has(event.EventType) && event.EventId >= 0) this.recorded.set(event.EventId, event);
    }
  }

  run(): void {
    for (const event of this.input.history) this.process(event);
  }

  private process(event: HistoryEvent): void {
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
        this.now = new Date(event.Timestamp);
        return;
      case EventType.ExecutionStarted:
        if (!this.started) {
          this.started = true;
          this.runSequence(this.input.actions);
        }
        return;
      case EventType.TaskScheduled:
      case EventType.TimerCreated:
      case EventType.SubOrchestrationInstanceCreated:
      case EventType.EventSent:
        if (!this.scheduled.has(event.EventId)) {
          throw new NonDeterminismError(
            `the history holds ${describeRecorded(event)} with sequence number ${event.EventId}, `
            + 'but the orchestrator code no longer schedules it at that point',
          );
        }
        return;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
      case EventType.TimerFired: {
        const id = answeredTaskId(event);
        const waiter = id === undefined ? undefined : this.pending.get(id);
        // An answer nobody waits for (a duplicate, or for a task the code abandoned) changes nothing.
        if (id === undefined || waiter === undefined) return;
        this.pending.delete(id);
        waiter(event);
        return;
      }
      case EventType.EventRaised:
        this.deliverEvent(event.Name ?? '');
        return;
      default:
        return;
    }
  }

  /** Issues the actions one after another, each once the previous one has completed. */
  private runSequence(actions: readonly OrchestratorAction[]): void {
    let index = 0;
    const next = (): void => {
      while (index < actions.length) {
        const action = actions[index++] as OrchestratorAction;
        let synchronous = true;
        let completedNow = false;
        this.start(action, () => {
          if (synchronous) completedNow = true;
          else next();
        });
        synchronous = false;
        if (!completedNow) return;
      }
    };
    next();
  }

  private start(action: OrchestratorAction, settle: Settle): void {
    switch (action.kind) {
      case 'callActivity':
        this.withRetry(action.retry, (done) => this.scheduleActivity(action.name, action.input, done), settle);
        return;
      case 'callSubOrchestrator':
        this.withRetry(action.retry, (done) => this.scheduleSubOrchestration(action, done), settle);
        return;
      case 'createTimer':
        this.scheduleTimer(action.fireAt, () => settle(true));
        return;
      case 'waitForExternalEvent':
        this.waitForEvent(action.name, () => settle(true));
        return;
      case 'callEntity': {
        const requestId = this.sendEntityOperation(action.entityId, action.operation, action.input, false);
        this.waitForEvent(requestId, () => settle(true));
        return;
      }
      case 'signalEntity':
        this.sendEntityOperation(action.entityId, action.operation, action.input, true);
        settle(true);
        return;
      case 'callHttp':
        this.callHttp(action.request, action.request, undefined, settle);
        return;
      case 'continueAsNew':
        settle(true);
        return;
      case 'whenAll':
        this.whenAll(action.children, settle);
        return;
      case 'whenAny':
        this.whenAny(action.children, settle);
        return;
    }
  }

  private whenAll(children: readonly OrchestratorAction[], settle: Settle): void {
    let remaining = children.length;
    let settled = false;
    if (remaining === 0) {
      settle(true);
      return;
    }
    for (const child of children) {
      this.start(child, (succeeded) => {
        if (settled) return;
        remaining--;
        if (!succeeded || remaining === 0) {
          settled = true;
          settle(succeeded);
        }
      });
    }
  }

  private whenAny(children: readonly OrchestratorAction[], settle: Settle): void {
    let settled = false;
    for (const child of children) {
      this.start(child, () => {
        if (settled) return;
        settled = true;
        settle(true);
      });
    }
  }

  /**
   * The retry loop of DurableTask.Core's RetryInterceptor: a timer with exponential backoff after
   * each failed attempt, and an immediate one after the last.
   */
  private withRetry(policy: RetryPolicy | undefined, attempt: (done: Settle) => void, settle: Settle): void {
    if (policy === undefined) {
      attempt(settle);
      return;
    }
    const run = (retryCount: number): void => {
      attempt((succeeded) => {
        if (succeeded) {
          settle(true);
          return;
        }
        if (retryCount + 1 >= policy.maxNumberOfAttempts) {
          this.scheduleTimer(this.now, () => settle(false));
          return;
        }
        const delay = retryDelayMs(policy, retryCount);
        this.scheduleTimer(new Date(this.now.getTime() + delay), () => run(retryCount + 1));
      });
    };
    run(0);
  }

  private scheduleActivity(name: string, input: unknown, done: Settle): void {
    const id = this.schedule(
      { type: EventType.TaskScheduled, name, what: `a call to activity "${name}"` },
      (taskId) => ({ kind: 'scheduleTask', id: taskId, name, ...serialized(input) }),
    );
    this.awaitAnswer(id, (event) => done(event.EventType === EventType.TaskCompleted));
  }

  private scheduleSubOrchestration(action: OrchestratorAction & { kind: 'callSubOrchestrator' }, done: Settle): void {
    const id = this.schedule(
      { type: EventType.SubOrchestrationInstanceCreated, name: action.name, what: `a call to sub-orchestrator "${action.name}"` },
      (taskId) => ({
        kind: 'createSubOrchestration',
        id: taskId,
        name: action.name,
        instanceId: action.instanceId ?? `${this.input.executionId}:${taskId}`,
        ...serialized(action.input),
        ...(action.version === undefined ? {} : { version: action.version }),
      }),
    );
    this.awaitAnswer(id, (event) => done(event.EventType === EventType.SubOrchestrationInstanceCompleted));
  }

  private scheduleTimer(fireAt: Date, fired: () => void, reservedId?: number): void {
    const id = this.schedule(
      { type: EventType.TimerCreated, what: 'a durable timer' },
      (timerId) => ({ kind: 'createTimer', id: timerId, fireAt: fireAt.toISOString() }),
      reservedId,
    );
    this.awaitAnswer(id, () => fired());
  }

  /** Sends an entity operation (EventSent) and returns the request id the answer will be raised under. */
  private sendEntityOperation(entityId: string, operation: string, input: unknown, signal: boolean): string {
    const id = this.nextId;
    const requestId = requestIdRecorded(this.recorded.get(id))
      ?? deterministicGuid(`${this.input.instanceId}\n${this.input.executionId}\n${id}`);
    this.schedule(
      { type: EventType.EventSent, target: entityId, what: `${signal ? 'a signal' : 'a call'} to entity "${entityId}"` },
      (eventId) => ({
        kind: 'sendEntityOperation',
        id: eventId,
        entityId,
        request: {
          id: requestId,
          op: operation,
          signal,
          ...(input === undefined ? {} : { input: JSON.stringify(input) }),
          parent: this.input.instanceId,
          parentExecution: this.input.executionId,
          timestamp: this.now.toISOString(),
        },
      }),
    );
    return requestId;
  }

  private callHttp(original: DurableHttpRequest, request: DurableHttpRequest, reservedId: number | undefined, settle: Settle): void {
    const id = this.schedule(
      { type: EventType.TaskScheduled, name: httpActivityName, what: `an HTTP call (${request.method} ${request.uri})` },
      (taskId) => ({ kind: 'scheduleTask', id: taskId, name: httpActivityName, input: JSON.stringify(httpRequestJson(request)), http: request }),
      reservedId,
    );
    this.awaitAnswer(id, (event) => {
      if (event.EventType !== EventType.TaskCompleted) {
        settle(false);
        return;
      }
      const poll = original.asynchronousPatternEnabled ? pollInstruction(event.Result, this.input.defaultHttpPollIntervalMs) : undefined;
      if (poll === undefined) {
        settle(true);
        return;
      }
      const timerId = this.nextId++;
      const pollId = this.nextId++;
      const pollRequest: DurableHttpRequest = {
        method: 'GET',
        uri: poll.location,
        headers: withoutFunctionsKey(original.headers),
        asynchronousPatternEnabled: true,
        hasTokenSource: original.hasTokenSource,
      };
      this.scheduleTimer(
        new Date(this.now.getTime() + poll.delayMs),
        () => this.callHttp(original, pollRequest, pollId, settle),
        timerId,
      );
    });
  }

  private waitForEvent(name: string, received: () => void): void {
    const buffered = this.bufferedEvents.get(name) ?? 0;
    if (buffered > 0) {
      if (buffered === 1) this.bufferedEvents.delete(name);
      else this.bufferedEvents.set(name, buffered - 1);
      received();
      return;
    }
    const waiters = this.eventWaiters.get(name);
    if (waiters) waiters.push(received);
    else this.eventWaiters.set(name, [received]);
  }

  private deliverEvent(name: string): void {
    const waiters = this.eventWaiters.get(name);
    // The library hands an event to the waiter that started waiting last.
    const waiter = waiters?.pop();
    if (waiters !== undefined && waiters.length === 0) this.eventWaiters.delete(name);
    if (waiter) waiter();
    else this.bufferedEvents.set(name, (this.bufferedEvents.get(name) ?? 0) + 1);
  }

  private schedule(expected: Expected, decision: (id: number) => Decision, reservedId?: number): number {
    const id = reservedId ?? this.nextId++;
    this.scheduled.set(id, expected);
    const recorded = this.recorded.get(id);
    if (recorded === undefined) {
      this.decisions.push(decision(id));
    } else if (!agrees(recorded, expected)) {
      throw new NonDeterminismError(
        `the history holds ${describeRecorded(recorded)} with sequence number ${id}, but the orchestrator code now schedules ${expected.what} there`,
      );
    }
    return id;
  }

  private awaitAnswer(id: number, answered: (event: HistoryEvent) => void): void {
    this.pending.set(id, answered);
  }
}

function agrees(recorded: HistoryEvent, expected: Expected): boolean {
  if (recorded.EventType !== expected.type) return false;
  switch (expected.type) {
    case EventType.TaskScheduled:
    case EventType.SubOrchestrationInstanceCreated:
      return recorded.Name === expected.name;
    case EventType.EventSent:
      return recorded.InstanceId === expected.target;
    case EventType.TimerCreated:
      return true;
  }
}

function describeRecorded(event: HistoryEvent): string {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return event.Name === httpActivityName ? 'an HTTP call (TaskScheduled)' : `a call to activity "${event.Name ?? ''}" (TaskScheduled)`;
    case EventType.TimerCreated:
      return 'a durable timer (TimerCreated)';
    case EventType.SubOrchestrationInstanceCreated:
      return `a call to sub-orchestrator "${event.Name ?? ''}" (SubOrchestrationInstanceCreated)`;
    case EventType.EventSent:
      return `a message to "${event.InstanceId ?? ''}" (EventSent)`;
    default:
      return `event type ${event.EventType}`;
  }
}

function retryDelayMs(policy: RetryPolicy, retryCount: number): number {
  const delay = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, retryCount);
  return delay < policy.maxRetryIntervalMs ? delay : policy.maxRetryIntervalMs;
}

function serialized(input: unknown): { input?: string } {
  return input === undefined ? {} : { input: JSON.stringify(input) };
}

function requestIdRecorded(event: HistoryEvent | undefined): string | undefined {
  if (event?.EventType !== EventType.EventSent || event.Input === undefined) return undefined;
  try {
    const message = JSON.parse(event.Input) as { id?: unknown };
    return typeof message.id === 'string' ? message.id : undefined;
  } catch {
    // A recorded message that is not JSON carries no request id; the derived one is used.
    return undefined;
  }
}

function httpRequestJson(request: DurableHttpRequest): Record<string, unknown> {
  return {
    method: request.method,
    uri: request.uri,
    headers: request.headers ?? {},
    ...(request.content === undefined ? {} : { content: request.content }),
    asynchronousPatternEnabled: request.asynchronousPatternEnabled,
  };
}

function pollInstruction(result: string | undefined, defaultDelayMs: number): { location: string; delayMs: number } | undefined {
  if (result === undefined) return undefined;
  let response: { statusCode?: unknown; headers?: unknown };
  try {
    response = JSON.parse(result) as typeof response;
  } catch {
    // Not an HTTP response: nothing to poll.
    return undefined;
  }
  if (response.statusCode !== 202 || typeof response.headers !== 'object' || response.headers === null) return undefined;
  const headers = response.headers as Record<string, unknown>;
  const location = headerValue(headers, 'location');
  if (location === undefined) return undefined;
  const retryAfter = headerValue(headers, 'retry-after');
  const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
  return { location, delayMs: Number.isFinite(seconds) ? seconds * 1000 : defaultDelayMs };
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  if (key === undefined) return undefined;
  const value = headers[key];
  if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
  return value === undefined || value === null ? undefined : String(value);
}

function withoutFunctionsKey(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'x-functions-key') copy[name] = value;
  }
  return copy;
}
