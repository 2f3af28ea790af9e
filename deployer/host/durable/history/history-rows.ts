/**
 * History events as DurableTask.AzureStorage stores them in the `{prefix}History` table: one row
 * per event (RowKey = the event's index in its execution, 16 hex digits), EventType by name, the
 * event's own timestamp in `_Timestamp` (Timestamp is the table's system column), nested objects
 * as JSON text, and a `sentinel` row naming the current execution and carrying the checkpoint ETag.
 */
import { eventTypeFromName, eventTypeName, type EventType, type FailureDetails, type HistoryEvent, type OrchestrationInstanceRef, type ParentInstanceInfo } from './history-event.js';

export const sentinelRowKey = 'sentinel';

export type HistoryRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

export function historyRowKey(index: number): string {
  return index.toString(16).toUpperCase().padStart(16, '0');
}

export function toHistoryRow(partitionKey: string, index: number, executionId: string, event: HistoryEvent): HistoryRow {
  const row: HistoryRow = {
    partitionKey,
    rowKey: historyRowKey(index),
    ExecutionId: executionId,
    EventType: eventTypeName(event.EventType),
    EventId: event.EventId,
    IsPlayed: event.IsPlayed ?? false,
    _Timestamp: new Date(event.Timestamp),
  };
  const text = ['Name', 'Input', 'Result', 'Version', 'InstanceId', 'Reason', 'Details', 'OrchestrationStatus'] as const;
  for (const field of text) {
    const value = event[field];
    if (value !== undefined) row[field] = value;
  }
  if (event.TaskScheduledId !== undefined) row.TaskScheduledId = event.TaskScheduledId;
  if (event.TimerId !== undefined) row.TimerId = event.TimerId;
  if (event.FireAt !== undefined) row.FireAt = new Date(event.FireAt);
  if (event.OrchestrationInstance !== undefined) row.OrchestrationInstance = JSON.stringify(event.OrchestrationInstance);
  if (event.ParentInstance !== undefined) row.ParentInstance = JSON.stringify(event.ParentInstance);
  if (event.FailureDetails !== undefined) row.FailureDetails = JSON.stringify(event.FailureDetails);
  return row;
}

/** Reads a history row back; undefined for rows that are not events (the sentinel, unknown types). */
export function fromHistoryRow(row: Readonly<Record<string, unknown>>): HistoryEvent | undefined {
  const type = typeof row.EventType === 'string' ? eventTypeFromName(row.EventType) : typeof row.EventType === 'number' ? row.EventType as EventType : undefined;
  if (type === undefined) return undefined;
  const event: { -readonly [K in keyof HistoryEvent]: HistoryEvent[K] } = {
    EventType: type,
    EventId: typeof row.EventId === 'number' ? row.EventId : -1,
    Timestamp: isoOf(row._Timestamp) ?? isoOf(row.timestamp) ?? new Date(0).toISOString(),
    IsPlayed: row.IsPlayed === true,
  };
  for (const field of ['Name', 'Input', 'Result', 'Version', 'InstanceId', 'Reason', 'Details', 'OrchestrationStatus'] as const) {
    const value = row[field];
    if (typeof value === 'string') event[field] = value;
  }
  if (typeof row.TaskScheduledId === 'number') event.TaskScheduledId = row.TaskScheduledId;
  if (typeof row.TimerId === 'number') event.TimerId = row.TimerId;
  const fireAt = isoOf(row.FireAt);
  if (fireAt !== undefined) event.FireAt = fireAt;
  const instance = parseJson<OrchestrationInstanceRef>(row.OrchestrationInstance);
  if (instance !== undefined) event.OrchestrationInstance = instance;
  const parent = parseJson<ParentInstanceInfo>(row.ParentInstance);
  if (parent !== undefined) event.ParentInstance = parent;
  const failure = parseJson<FailureDetails>(row.FailureDetails);
  if (failure !== undefined) event.FailureDetails = failure;
  return event;
}

function isoOf(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && value !== '' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return undefined;
}

function parseJson<T>(value: unknown): T | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    // A column written by another tool in another format: leave the field out.
    return undefined;
  }
}
