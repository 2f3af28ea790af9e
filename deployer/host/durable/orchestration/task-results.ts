/**
 * The history events that answer scheduled work, in the shapes the library reads: an activity's
 * return value or error, a fired timer, an HTTP response for `callHttp`.
 */
import { EventType, type FailureDetails, type HistoryEvent } from '../history/history-event.js';

export function taskCompleted(taskId: number, value: unknown, timestamp: string): HistoryEvent {
  return { EventType: EventType.TaskCompleted, EventId: -1, Timestamp: timestamp, TaskScheduledId: taskId, Result: JSON.stringify(value ?? null) };
}

/**
 * An activity that threw. The library shows `Reason \n Details` as the error message; an error
 * serialized by a registered exception-properties provider also becomes FailureDetails.
 */
export function taskFailed(activityName: string, taskId: number, error: unknown, timestamp: string): HistoryEvent {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && error.stack !== undefined ? error.stack : '';
  const details = failureDetailsFrom(message, stack);
  return {
    EventType: EventType.TaskFailed,
    EventId: -1,
    Timestamp: timestamp,
    TaskScheduledId: taskId,
    Reason: `Activity function '${activityName}' failed: ${details?.ErrorMessage ?? message}`,
    Details: stack,
    ...(details === undefined ? {} : { FailureDetails: details }),
  };
}

export function timerFired(timerId: number, fireAt: string, timestamp: string): HistoryEvent {
  return { EventType: EventType.TimerFired, EventId: -1, Timestamp: timestamp, TimerId: timerId, FireAt: fireAt };
}

function failureDetailsFrom(message: string, stack: string): FailureDetails | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    if (typeof parsed.errorType !== 'string' || typeof parsed.errorMessage !== 'string') return undefined;
    return {
      ErrorType: parsed.errorType,
      ErrorMessage: parsed.errorMessage,
      StackTrace: typeof parsed.stackTrace === 'string' ? parsed.stackTrace : stack,
      IsNonRetriable: parsed.isNonRetriable === true,
      ...(typeof parsed.properties === 'object' && parsed.properties !== null ? { Properties: parsed.properties as Record<string, unknown> } : {}),
    };
  } catch {
    // An error message that merely starts with "{": an ordinary failure.
    return undefined;
  }
}
