/**
 * What the `sentinel` row of an instance's History partition says, and which rows it vouches for.
 *
 * An episode is checkpointed in one transaction per 99 rows, each moving the sentinel's ETag on
 * (so a second writer fails at any step). As DurableTask.AzureStorage does, only the last one sets
 * `IsCheckpointComplete` and `CheckpointCompletedTimestamp`; the earlier ones set
 * `IsCheckpointComplete: false` and leave the rest as the last complete checkpoint wrote it:
 * `ExecutionId`, `CheckpointEventCount` (how many events of that execution it holds) and
 * `ConsumedMessages`. So rows past that count, or of another execution, belong to an unfinished
 * episode: they are not history, and the episode runs again (its messages are still in the work
 * table, since they are deleted only after the complete checkpoint) and overwrites them.
 */
import { EventType, type HistoryEvent } from './history-event.js';
import { historyRowKey, sentinelRowKey } from './history-rows.js';

export interface SentinelWrite {
  readonly executionId: string;
  /** Events of the execution once this checkpoint is complete. */
  readonly eventCount: number;
  /** Work message keys to recognise as consumed when they are delivered again. */
  readonly consumed: readonly string[];
  /** Whether this transaction completes the checkpoint. */
  readonly final: boolean;
}

/** The last complete checkpoint, as the sentinel records it. */
export interface SentinelCheckpoint {
  /** '' while no checkpoint of the instance has completed yet. */
  readonly executionId: string;
  readonly etag: string;
  readonly consumed: readonly string[];
}

export interface CommittedHistory {
  readonly checkpoint?: SentinelCheckpoint;
  readonly events: readonly HistoryEvent[];
  /**
   * The ExecutionStarted of an execution whose first episode did not finish checkpointing: it
   * must start again (for a continue-as-new, nothing else records it).
   */
  readonly unfinishedStart?: HistoryEvent;
}

export interface StoredRow {
  readonly rowKey?: string;
  readonly etag?: string;
  readonly [column: string]: unknown;
}

/** The sentinel's columns for one transaction of a checkpoint. */
export function sentinelColumns(write: SentinelWrite): Record<string, unknown> {
  if (!write.final) return { IsCheckpointComplete: false };
  return {
    ExecutionId: write.executionId,
    IsCheckpointComplete: true,
    CheckpointCompletedTimestamp: new Date(),
    CheckpointEventCount: write.eventCount,
    ConsumedMessages: JSON.stringify(write.consumed),
  };
}

/** The history the last complete checkpoint holds, from all the rows of the partition. */
export function committedHistory(rows: readonly StoredRow[], toEvent: (row: StoredRow) => HistoryEvent | undefined): CommittedHistory {
  const sentinel = rows.find((row) => row.rowKey === sentinelRowKey);
  const eventRows = rows.filter((row) => row.rowKey !== sentinelRowKey).sort((a, b) => ((a.rowKey ?? '') < (b.rowKey ?? '') ? -1 : 1));
  const checkpoint = sentinel === undefined ? undefined : checkpointOf(sentinel);
  // Without a sentinel (or one written before CheckpointEventCount existed) the rows of the newest execution are the history.
  const executionId = checkpoint?.executionId ?? (typeof eventRows[0]?.ExecutionId === 'string' ? eventRows[0].ExecutionId : undefined);
  const count = typeof sentinel?.CheckpointEventCount === 'number' ? sentinel.CheckpointEventCount : undefined;
  const ofExecution = (id: string | undefined): HistoryEvent[] => eventRows
    .filter((row) => row.ExecutionId === id)
    .map(toEvent)
    .filter((event): event is HistoryEvent => event !== undefined);

  const complete = sentinel?.IsCheckpointComplete !== false;
  const firstRow = eventRows[0];
  if (!complete && firstRow !== undefined && firstRow.rowKey === historyRowKey(0) && firstRow.ExecutionId !== executionId && typeof firstRow.ExecutionId === 'string') {
    // The unfinished episode started a new execution and has overwritten the start of the old one's rows.
    const unfinishedStart = ofExecution(firstRow.ExecutionId).find((event) => event.EventType === EventType.ExecutionStarted);
    return { ...(checkpoint === undefined ? {} : { checkpoint }), events: [], ...(unfinishedStart === undefined ? {} : { unfinishedStart }) };
  }
  const events = ofExecution(executionId);
  return { ...(checkpoint === undefined ? {} : { checkpoint }), events: count === undefined ? events : events.slice(0, count) };
}

function checkpointOf(row: StoredRow): SentinelCheckpoint | undefined {
  if (row.etag === undefined) return undefined;
  const executionId = typeof row.ExecutionId === 'string' ? row.ExecutionId : '';
  if (executionId === '' && row.IsCheckpointComplete !== false) return undefined;
  return { executionId, etag: row.etag, consumed: consumedOf(row.ConsumedMessages) };
}

function consumedOf(value: unknown): string[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed.filter((key): key is string => typeof key === 'string') : [];
  } catch {
    // Written by another tool: no record of consumed messages, so none are treated as duplicates.
    return [];
  }
}

