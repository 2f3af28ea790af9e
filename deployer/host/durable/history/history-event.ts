/**
 * Orchestration history events in the shape the Durable Task Framework writes them and the
 * `durable-functions` library reads them: numeric EventType, PascalCase fields, EventId = the
 * sequence number of a scheduled task (-1 for everything else).
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export type EventTypeName = keyof typeof EventType;

const eventTypeNames = new Map<number, EventTypeName>(
  Object.entries(EventType).map(([name, value]) => [value, name as EventTypeName]),
);

export function eventTypeName(type: EventType): EventTypeName {
  const name = eventTypeNames.get(type);
  if (name === undefined) throw new TypeError(`Unknown history event type ${String(type)}`);
  return name;
}

export function eventTypeFromName(name: string): EventType | undefined {
  return Object.prototype.hasOwnProperty.call(EventType, name) ? EventType[name as EventTypeName] : undefined;
}

export interface OrchestrationInstanceRef {
  readonly InstanceId: string;
  readonly ExecutionId: string;
}

export interface ParentInstanceInfo {
  readonly Name: string;
  readonly Version?: string;
  readonly TaskScheduleId: number;
  readonly OrchestrationInstance: OrchestrationInstanceRef;
}

export interface FailureDetails {
  readonly ErrorType: string;
  readonly ErrorMessage: string;
  readonly StackTrace?: string;
  readonly IsNonRetriable?: boolean;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** One history event; which optional fields are set depends on EventType, as in DurableTask.Core. */
export interface HistoryEvent {
  readonly EventType: EventType;
  readonly EventId: number;
  /** ISO 8601 UTC. */
  readonly Timestamp: string;
  readonly IsPlayed?: boolean;
  readonly Name?: string;
  readonly Input?: string;
  readonly Result?: string;
  readonly Version?: string;
  readonly TaskScheduledId?: number;
  readonly TimerId?: number;
  readonly FireAt?: string;
  readonly InstanceId?: string;
  readonly Reason?: string;
  readonly Details?: string;
  readonly FailureDetails?: FailureDetails;
  readonly OrchestrationStatus?: string;
  readonly OrchestrationInstance?: OrchestrationInstanceRef;
  readonly ParentInstance?: ParentInstanceInfo;
}

export function orchestratorStarted(timestamp: string): HistoryEvent {
  return { EventType: EventType.OrchestratorStarted, EventId: -1, Timestamp: timestamp };
}

export function orchestratorCompleted(timestamp: string): HistoryEvent {
  return { EventType: EventType.OrchestratorCompleted, EventId: -1, Timestamp: timestamp };
}

/** The ExecutionStarted event of an execution: the only place name, input, version and parent live. */
export function executionStartedOf(events: readonly HistoryEvent[]): HistoryEvent | undefined {
  return events.find((event) => event.EventType === EventType.ExecutionStarted);
}

/** Completion-style events that answer a scheduled task, keyed by the id they answer. */
export function answeredTaskId(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return event.TaskScheduledId;
    case EventType.TimerFired:
      return event.TimerId;
    default:
      return undefined;
  }
}
