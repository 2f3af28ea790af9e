/**
 * What a batch of inbox items means for an orchestration instance, decided without I/O: which
 * execution to start, which events to play in the next episode, which control operation applies,
 * which durable messages are used up (to delete), and which must wait (while suspended or
 * continuing as new). Stale, duplicate and late messages are recognised here.
 */
import { EventType, answeredTaskId, type HistoryEvent, type ParentInstanceInfo } from '../history/history-event.js';
import type { WorkMessage } from '../storage/work-queue.js';

/** The data of an execution to start (from a client start, a sub-orchestration call or continue-as-new). */
export interface ExecutionStart {
  readonly executionId: string;
  readonly name: string;
  readonly input?: string;
  readonly version?: string;
  readonly parent?: ParentInstanceInfo;
  /** Set for client starts: the Instances row already exists with this creation time. */
  readonly createdTime?: string;
  /**
   * A client start that reached this engine through the work table (another process took it):
   * it runs only while its Pending row is there, since a start answered as failed has its row
   * removed but its message may still land.
   */
  readonly handedOver?: true;
}

export type InboxItem =
  /** A durable message from the work queue. */
  | { readonly kind: 'work'; readonly message: WorkMessage }
  /** A result the host produced itself and history implies (activity result, fired timer). */
  | { readonly kind: 'memory'; readonly executionId: string; readonly event: HistoryEvent }
  /** A start whose durable record is the Instances row or the history (client start, continue-as-new). */
  | { readonly kind: 'start'; readonly start: ExecutionStart }
  /** Reload after a restart and re-dispatch the work the history implies. */
  | { readonly kind: 'recover' };

export interface ExecutionView {
  readonly executionId?: string;
  readonly terminal: boolean;
  /** The execution ended with continue-as-new; its successor has not started yet. */
  readonly continued: boolean;
  readonly suspended: boolean;
  readonly answered: ReadonlySet<number>;
  /** Keys of messages already consumed (recorded by the checkpoint, or consumed since): a redelivery is used up, never applied. */
  readonly consumed: ReadonlySet<string>;
}

export type ControlOperation =
  | { readonly kind: 'terminate'; readonly reason?: string }
  | { readonly kind: 'suspend'; readonly reason?: string }
  | { readonly kind: 'resume'; readonly reason?: string };

export interface InboxPlan {
  readonly start?: ExecutionStart;
  readonly control?: ControlOperation;
  readonly events: readonly HistoryEvent[];
  /** Durable messages this batch uses up (applied, duplicate or stale). */
  readonly consumed: readonly string[];
  /** Items to keep for a later batch. */
  readonly held: readonly InboxItem[];
  readonly recover: boolean;
  /** Messages dropped, with why, for the log. */
  readonly dropped: readonly string[];
  /** Sub-orchestration starts refused because the instance is already running: their parents must hear of it. */
  readonly refusedStarts: readonly { readonly parent: ParentInstanceInfo; readonly reason: string }[];
}

export function viewExecution(events: readonly HistoryEvent[], consumed: readonly string[]): ExecutionView {
  let executionId: string | undefined;
  let terminal = false;
  let continued = false;
  let suspended = false;
  const answered = new Set<number>();
  for (const event of events) {
    switch (event.EventType) {
      case EventType.ExecutionStarted:
        executionId = event.OrchestrationInstance?.ExecutionId;
        break;
      case EventType.ExecutionCompleted:
      case EventType.ExecutionFailed:
      case EventType.ExecutionTerminated:
        terminal = true;
        break;
      case EventType.ContinueAsNew:
        terminal = true;
        continued = true;
        break;
      case EventType.ExecutionSuspended:
        suspended = true;
        break;
      case EventType.ExecutionResumed:
        suspended = false;
        break;
      default: {
        const id = answeredTaskId(event);
        if (id !== undefined) answered.add(id);
      }
    }
  }
  return { ...(executionId === undefined ? {} : { executionId }), terminal, continued, suspended, answered, consumed: new Set(consumed) };
}

export function planInbox(view: ExecutionView, items: readonly InboxItem[]): InboxPlan {
  let start: ExecutionStart | undefined;
  let control: ControlOperation | undefined;
  let recover = false;
  const events: HistoryEvent[] = [];
  const consumed: string[] = [];
  const held: InboxItem[] = [];
  const dropped: string[] = [];
  const refusedStarts: { parent: ParentInstanceInfo; reason: string }[] = [];
  const answered = new Set(view.answered);
  // A message can reach the inbox twice (posted when written, and found in the work table by recovery).
  const delivered = new Set<string>();

  const currentExecution = (): string | undefined => start?.executionId ?? view.executionId;
  const active = (): boolean => start !== undefined || (view.executionId !== undefined && !view.terminal);
  const suspended = (): boolean => view.suspended && start === undefined && control?.kind !== 'resume';
  const acceptAnswer = (event: HistoryEvent): boolean => {
    const id = answeredTaskId(event);
    if (id === undefined) return true;
    if (answered.has(id)) return false;
    answered.add(id);
    return true;
  };

  for (const item of items) {
    switch (item.kind) {
      case 'recover':
        recover = true;
        break;
      case 'start':
        if (item.start.executionId === currentExecution()) {
          dropped.push(`a repeated start of execution ${item.start.executionId}`);
        } else if (active()) {
          dropped.push(`a start of execution ${item.start.executionId} while execution ${currentExecution() ?? ''} is still running`);
        } else {
          start = item.start;
        }
        break;
      case 'memory':
        if (item.executionId !== currentExecution() || !active()) break;
        if (suspended()) held.push(item);
        else if (acceptAnswer(item.event)) events.push(item.event);
        break;
      case 'work': {
        const { message } = item;
        const { body } = message;
        if (delivered.has(message.key)) break;
        delivered.add(message.key);
        if (view.consumed.has(message.key)) {
          consumed.push(message.key);
          break;
        }
        switch (body.kind) {
          case 'start':
            consumed.push(message.key);
            if (body.executionId === currentExecution()) {
              dropped.push(`a repeated start of execution ${body.executionId}`);
            } else if (active()) {
              dropped.push(`a start of execution ${body.executionId} while execution ${currentExecution() ?? ''} is still running`);
              if (body.parent !== undefined) {
                refusedStarts.push({ parent: body.parent, reason: `An orchestration instance with this id is already running (execution ${currentExecution() ?? ''}).` });
              }
            } else {
              start = {
                executionId: body.executionId, name: body.name,
                ...(body.input === undefined ? {} : { input: body.input }),
                ...(body.version === undefined ? {} : { version: body.version }),
                ...(body.parent === undefined ? {} : { parent: body.parent }),
                ...(body.createdTime === undefined ? {} : { createdTime: body.createdTime }),
                ...(body.parent === undefined && body.createdTime !== undefined ? { handedOver: true as const } : {}),
              };
            }
            break;
          case 'event':
            if (view.continued && start === undefined && body.executionId === undefined) {
              held.push(item);
            } else if (!active() || (body.executionId !== undefined && body.executionId !== currentExecution())) {
              consumed.push(message.key);
              dropped.push(`${eventLabel(body.event)} for an execution that is not running`);
            } else if (suspended()) {
              held.push(item);
            } else {
              consumed.push(message.key);
              if (acceptAnswer(body.event)) events.push(body.event);
            }
            break;
          case 'terminate':
            consumed.push(message.key);
            if (active()) control = { kind: 'terminate', ...(body.reason === undefined ? {} : { reason: body.reason }) };
            break;
          case 'suspend':
            consumed.push(message.key);
            if (active() && !view.suspended && control?.kind !== 'terminate') {
              control = { kind: 'suspend', ...(body.reason === undefined ? {} : { reason: body.reason }) };
            }
            break;
          case 'resume':
            consumed.push(message.key);
            if (active() && view.suspended && control?.kind !== 'terminate') {
              control = { kind: 'resume', ...(body.reason === undefined ? {} : { reason: body.reason }) };
              // Events held while suspended are played now, before the ones that follow.
              for (const waiting of held.splice(0)) {
                if (waiting.kind === 'memory' && acceptAnswer(waiting.event)) events.push(waiting.event);
                if (waiting.kind === 'work' && waiting.message.body.kind === 'event') {
                  consumed.push(waiting.message.key);
                  if (acceptAnswer(waiting.message.body.event)) events.push(waiting.message.body.event);
                }
              }
            }
            break;
          case 'entityOperation':
            consumed.push(message.key);
            dropped.push('an entity operation sent to an orchestration');
            break;
        }
        break;
      }
    }
  }

  if (control?.kind === 'suspend') {
    // Suspension takes effect at once: whatever else arrived waits for the resume.
    for (const event of events.splice(0)) held.push(...heldFor(event, items));
  }
  return {
    ...(start === undefined ? {} : { start }),
    ...(control === undefined ? {} : { control }),
    events, consumed: control?.kind === 'suspend' ? consumed.filter((key) => !heldKeys(held).has(key)) : consumed,
    held, recover, dropped, refusedStarts,
  };
}

function heldFor(event: HistoryEvent, items: readonly InboxItem[]): InboxItem[] {
  const item = items.find((candidate) => (candidate.kind === 'memory' && candidate.event === event)
    || (candidate.kind === 'work' && candidate.message.body.kind === 'event' && candidate.message.body.event === event));
  return item === undefined ? [] : [item];
}

function heldKeys(held: readonly InboxItem[]): Set<string> {
  return new Set(held.flatMap((item) => (item.kind === 'work' ? [item.message.key] : [])));
}

function eventLabel(event: HistoryEvent): string {
  switch (event.EventType) {
    case EventType.EventRaised:
      return `event "${event.Name ?? ''}"`;
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return `the result of sub-orchestration #${event.TaskScheduledId ?? -1}`;
    default:
      return `an event of type ${event.EventType}`;
  }
}
