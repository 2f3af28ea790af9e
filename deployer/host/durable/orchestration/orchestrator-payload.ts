import { executionStartedOf, type HistoryEvent } from '../history/history-event.js';

/**
 * Timer limits advertised to the library. Our timers have no storage-imposed maximum, so the
 * short-timer limit is set beyond any practical delay: the library then never splits a long
 * timer into intervals (which only exists to work around Azure Storage queue limits).
 */
const maximumShortTimerDuration = '36500.00:00:00';
const longRunningTimerIntervalDuration = '3.00:00:00';
export const defaultHttpAsyncRequestSleepMs = 30_000;

/** Out-of-process replay schema V3 (compound WhenAll/WhenAny actions, library-driven HTTP polling). */
const upperSchemaVersion = 1;
const upperSchemaVersionNew = 2;

/**
 * The orchestrationTrigger payload the extension sends: the whole history (events from earlier
 * episodes marked IsPlayed), the execution's input as a value, and the protocol limits.
 */
export function orchestratorTriggerPayload(instanceId: string, history: readonly HistoryEvent[], playedCount: number): Record<string, unknown> {
  const started = executionStartedOf(history);
  const parentInstanceId = started?.ParentInstance?.OrchestrationInstance.InstanceId;
  return {
    // Fresh objects each time: the library converts timestamps in place.
    history: history.map((event, index) => ({ ...event, IsPlayed: index < playedCount })),
    input: parseJsonValue(started?.Input),
    instanceId,
    isReplaying: playedCount > 0,
    ...(parentInstanceId === undefined ? {} : { parentInstanceId }),
    upperSchemaVersion,
    upperSchemaVersionNew,
    longRunningTimerIntervalDuration,
    maximumShortTimerDuration,
    defaultHttpAsyncRequestSleepTimeMillseconds: defaultHttpAsyncRequestSleepMs,
  };
}

/** A stored JSON text as the value a function receives; text that is not JSON is passed as it is. */
export function parseJsonValue(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Values written by other tools may be plain text; the extension passes those through too.
    return text;
  }
}
