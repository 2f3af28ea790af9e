/**
 * The tracking store: the `Instances` and `History` tables in the DurableTask.AzureStorage schema.
 * An episode's history rows go in one transaction with the `sentinel` row, whose ETag is the
 * checkpoint: a writer holding a stale ETag fails instead of overwriting newer history.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import {
  escapeKey, unescapeKey, runtimeStatuses, type RuntimeStatus, type TrackingTableNames,
} from '../../../../shared/tracking-store/tracking-store-schema.js';
import { committedHistory, sentinelColumns, type CommittedHistory } from '../history/checkpoint-sentinel.js';
import type { HistoryEvent } from '../history/history-event.js';
import { fromHistoryRow, sentinelRowKey, toHistoryRow } from '../history/history-rows.js';
import { CheckpointConflictError, ValueTooLargeError, isConflict, isNotFound, isTooLarge, statusCodeOf } from './storage-errors.js';
import { LargeValueStore } from './large-value-store.js';
import { boundedTableClientOptions } from './storage-call-policy.js';
import { TableRestWriter, type BatchOperation, type Entity } from './table-rest-writer.js';

export interface InstanceState {
  readonly instanceId: string;
  readonly name: string;
  readonly version?: string;
  readonly input?: string;
  readonly output?: string;
  readonly customStatus?: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  readonly completedTime?: Date;
  readonly executionId: string;
  readonly taskHubName: string;
  readonly etag: string;
}

/** Columns an episode or a client sets on an Instances row; absent ones are left as they are. */
export interface InstanceUpdate {
  readonly name?: string;
  readonly version?: string;
  readonly input?: string;
  readonly output?: string;
  readonly customStatus?: string;
  readonly runtimeStatus?: RuntimeStatus;
  readonly createdTime?: Date;
  readonly lastUpdatedTime?: Date;
  readonly completedTime?: Date;
  readonly executionId?: string;
}

/** An instance's history as its last complete checkpoint holds it. */
export type StoredHistory = CommittedHistory;

export interface InstanceQuery {
  readonly runtimeStatus?: readonly RuntimeStatus[];
  readonly createdTimeFrom?: Date;
  readonly createdTimeTo?: Date;
  readonly instanceIdPrefix?: string;
  readonly taskHubName?: string;
  readonly showInput?: boolean;
}

export interface InstancePage {
  readonly instances: readonly InstanceState[];
  readonly continuationToken?: string;
}

const rowsPerBatch = 99;
const instanceColumns = [
  'PartitionKey', 'RowKey', 'Name', 'Version', 'Input', 'Output', 'CustomStatus', 'RuntimeStatus', 'CreatedTime',
  'LastUpdatedTime', 'CompletedTime', 'ExecutionId', 'TaskHubName',
];

export class TrackingStore {
  /** Starts answered as failed whose Pending row may still land: instance id → execution id. */
  readonly #retracting = new Map<string, string>();

  private constructor(
    private readonly instances: TableClient,
    private readonly history: TableClient,
    /** Stamped on every Instances row this store writes, as DurableTask.AzureStorage does. */
    private readonly taskHubName: string,
    /** Hot-path writers, when the connection has an account key. */
    private readonly writers: { readonly instances: TableRestWriter; readonly history: TableRestWriter } | undefined,
    /** Where values too large for a column go; undefined when the connection has no blob service. */
    private readonly largeValues: LargeValueStore | undefined,
  ) {}

  static open(connectionString: string, tables: TrackingTableNames, taskHubName: string): TrackingStore {
    const instances = TableRestWriter.forConnection(connectionString, tables.instances);
    const history = TableRestWriter.forConnection(connectionString, tables.history);
    return new TrackingStore(
      createTableClient(connectionString, tables.instances, boundedTableClientOptions()),
      createTableClient(connectionString, tables.history, boundedTableClientOptions()),
      taskHubName,
      instances !== undefined && history !== undefined ? { instances, history } : undefined,
      LargeValueStore.forConnection(connectionString, taskHubName),
    );
  }

  async ensureTables(): Promise<void> {
    await Promise.all([createTableIfMissing(this.instances), createTableIfMissing(this.history)]);
  }

  async readInstance(instanceId: string): Promise<InstanceState | undefined> {
    try {
      return toInstanceState(await this.restoreInstance(await this.instances.getEntity<Record<string, unknown>>(escapeKey(instanceId), '')));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Creates the row; answers its ETag, or undefined when a row already exists. */
  async createInstance(instanceId: string, update: InstanceUpdate): Promise<string | undefined> {
    const entity = await this.offloadInstance({ partitionKey: escapeKey(instanceId), rowKey: '', ...this.columnsOf(update) });
    try {
      if (this.writers) return await this.writers.instances.create(entity);
      const response = await this.instances.createEntity(entity);
      return response.etag ?? '';
    } catch (error) {
      if (statusCodeOf(error) === 409) return this.etagIfWritten(this.instances, entity);
      throw translated(error);
    }
  }

  /** Replaces the row if it still has the given ETag; answers the new ETag, or undefined when it changed meanwhile. */
  async replaceInstance(instanceId: string, update: InstanceUpdate, etag: string): Promise<string | undefined> {
    const entity = await this.offloadInstance({ partitionKey: escapeKey(instanceId), rowKey: '', ...this.columnsOf(update) });
    try {
      if (this.writers) return await this.writers.instances.replaceIfMatch(entity, etag);
      const response = await this.instances.updateEntity(entity, 'Replace', { etag });
      return response.etag ?? '';
    } catch (error) {
      if (isConflict(error)) return this.etagIfWritten(this.instances, entity);
      if (isNotFound(error)) return undefined;
      throw translated(error);
    }
  }

  /**
   * Undoes a start whose Instances row write gave up (storage stalled): a write held up in the
   * stalled store can still land once it answers again, and a Pending row is a start recovery
   * would run. Watches in the background until storage has answered for `settleMs`, and deletes
   * the row if it appears with this start's execution id and is still Pending.
   */
  retractStart(instanceId: string, executionId: string, logger: Logger): void {
    const settleMs = 10_000;
    const giveUpAt = Date.now() + 5 * 60_000;
    let answeringSince: number | undefined;
    this.#retracting.set(instanceId, executionId);
    const check = async (): Promise<boolean> => {
      if (this.#retracting.get(instanceId) !== executionId) return true;
      const row = await this.readInstance(instanceId);
      answeringSince ??= Date.now();
      if (row !== undefined && row.executionId === executionId) {
        if (row.runtimeStatus !== 'Pending') return true;
        await this.instances.deleteEntity(escapeKey(instanceId), '', { etag: row.etag });
        logger.warn({ instanceId }, 'Removed the Pending row of a start that had been answered as failed (storage stalled)');
        return true;
      }
      return row !== undefined || Date.now() - answeringSince >= settleMs;
    };
    const next = (): void => {
      if (Date.now() > giveUpAt) {
        this.#forgetRetraction(instanceId, executionId);
        logger.error({ instanceId }, 'Gave up watching for the row of a failed start: if it appears as Pending, it will run');
        return;
      }
      setTimeout(() => {
        check().then((done) => {
          if (done) this.#forgetRetraction(instanceId, executionId);
          else next();
        }, () => next());
      }, 500).unref();
    };
    next();
  }

  /**
   * Whether `row` is the late Pending row of a start this store is retracting: a new start of the
   * same id may replace it (the client retried the start it was told had failed).
   */
  isRetractedStart(instanceId: string, row: Pick<InstanceState, 'executionId' | 'runtimeStatus'>): boolean {
    return row.runtimeStatus === 'Pending' && this.isRetracting(instanceId, row.executionId);
  }

  /** Whether a start of this execution was answered as failed and its Pending row is being watched for, to be removed: recovery must not run it. */
  isRetracting(instanceId: string, executionId: string): boolean {
    return this.#retracting.get(instanceId) === executionId;
  }

  #forgetRetraction(instanceId: string, executionId: string): void {
    if (this.#retracting.get(instanceId) === executionId) this.#retracting.delete(instanceId);
  }

  /** Sets the given columns, creating the row if needed. */
  async updateInstance(instanceId: string, update: InstanceUpdate): Promise<void> {
    try {
      const entity = await this.offloadInstance({ partitionKey: escapeKey(instanceId), rowKey: '', ...this.columnsOf(update) });
      if (this.writers) await this.writers.instances.upsertMerge(entity);
      else await this.instances.upsertEntity(entity, 'Merge');
    } catch (error) {
      throw translated(error);
    }
  }

  /** The events the last complete checkpoint holds, in order (rows of earlier executions and unfinished episodes are skipped). */
  async readHistory(instanceId: string): Promise<StoredHistory> {
    const rows: TableEntityResult<Record<string, unknown>>[] = [];
    const partition = escapeKey(instanceId);
    for await (const row of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })) {
      rows.push(row);
    }
    // Blob-held values come back before the history is read: committedHistory converts rows as they are.
    const { largeValues } = this;
    const restored = largeValues === undefined ? rows : await Promise.all(rows.map((row) => largeValues.restoreFromBlobNames(row)));
    return committedHistory(restored, fromHistoryRow);
  }

  /**
   * Writes events starting at `firstIndex` and moves the checkpoint on, in one transaction per 99
   * rows; only the last completes the checkpoint (see checkpoint-sentinel.ts). `etag` is the
   * checkpoint the writer started from (undefined: there must be none yet).
   * Answers the new checkpoint ETag; throws CheckpointConflictError if another writer got there first.
   */
  async appendHistory(
    instanceId: string,
    executionId: string,
    firstIndex: number,
    events: readonly HistoryEvent[],
    etag: string | undefined,
    consumed: readonly string[],
  ): Promise<string> {
    const partition = escapeKey(instanceId);
    let current = etag;
    let written = 0;
    do {
      const chunk = events.slice(written, written + rowsPerBatch);
      const last = written + chunk.length >= events.length;
      const operations: BatchOperation[] = await Promise.all(chunk.map(async (event, i): Promise<BatchOperation> => {
        const row = toHistoryRow(partition, firstIndex + written + i, executionId, event);
        return { kind: 'upsertReplace', entity: this.largeValues === undefined ? row : await this.largeValues.offloadToBlobNames(row, row.EventType as string) };
      }));
      const sentinel = {
        partitionKey: partition,
        rowKey: sentinelRowKey,
        ...sentinelColumns({ executionId, eventCount: firstIndex + events.length, consumed, final: last }),
        // Tells this write apart from any other, should a retried transaction find it already applied.
        CheckpointWriteId: randomUUID(),
      };
      operations.push(current === undefined ? { kind: 'create', entity: sentinel } : { kind: 'mergeIfMatch', entity: sentinel, etag: current });
      current = await this.submit(operations, sentinel, instanceId);
      written += chunk.length;
    } while (written < events.length);
    return current;
  }

  async queryInstances(query: InstanceQuery, pageSize: number, continuationToken: string | undefined): Promise<InstancePage> {
    const pages = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: instanceFilter(query), select: selectedColumns(query) } })
      .byPage({ maxPageSize: pageSize, ...(continuationToken ? { continuationToken } : {}) });
    const page = await pages.next();
    if (page.done === true || page.value === undefined) return { instances: [] };
    const rows = await Promise.all(page.value.map((row) => this.restoreInstance(row)));
    const instances = rows.map(toInstanceState).filter((state): state is InstanceState => state !== undefined);
    return { instances, ...(page.value.continuationToken ? { continuationToken: page.value.continuationToken } : {}) };
  }

  async *listInstances(query: InstanceQuery): AsyncIterable<InstanceState> {
    for await (const row of this.instances.listEntities<Record<string, unknown>>({ queryOptions: { filter: instanceFilter(query), select: selectedColumns(query) } })) {
      const state = toInstanceState(await this.restoreInstance(row));
      if (state !== undefined) yield state;
    }
  }

  /**
   * Deletes the instance's Instances row if it still has `etag`, then its history; answers whether
   * the row was deleted (false: it is gone, or changed since it was read — a restart, so its
   * history is the new run's and stays). The row goes first: a crash in between leaves history
   * no instance points at, which a later run of the same id skips as an earlier execution's.
   */
  async deleteInstance(instanceId: string, etag: string): Promise<boolean> {
    const partition = escapeKey(instanceId);
    try {
      await this.instances.deleteEntity(partition, '', { etag });
    } catch (error) {
      // 404: gone already (purged meanwhile, or this delete was retried after it was applied): its history goes too.
      if (isConflict(error)) return false;
      if (!isNotFound(error)) throw error;
    }
    const keys: string[] = [];
    for await (const row of this.history.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['RowKey'] } })) {
      keys.push(row.rowKey ?? '');
    }
    for (let at = 0; at < keys.length; at += 100) {
      const chunk = keys.slice(at, at + 100);
      try {
        await this.history.submitTransaction(chunk.map((rowKey): TransactionAction => ['delete', { partitionKey: partition, rowKey }]));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // Some were deleted already (this transaction retried after it was applied): delete the rest one by one.
        await Promise.all(chunk.map((rowKey) => this.history.deleteEntity(partition, rowKey).catch((inner: unknown) => {
          if (!isNotFound(inner)) throw inner;
        })));
      }
    }
    await this.largeValues?.deleteInstanceBlobs(partition);
    return true;
  }

  /**
   * After a 409 or 412: the row's ETag if it holds exactly what `entity` wrote — an earlier attempt
   * of this very write was applied though its answer was lost (a timeout, a dropped connection) —
   * else undefined: another writer got there first.
   */
  private async etagIfWritten(table: TableClient, entity: Entity): Promise<string | undefined> {
    let row: TableEntityResult<Record<string, unknown>>;
    try {
      row = await table.getEntity<Record<string, unknown>>(entity.partitionKey, entity.rowKey);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const same = (written: unknown, stored: unknown): boolean => (written instanceof Date
      ? (stored instanceof Date || typeof stored === 'string') && new Date(stored).getTime() === written.getTime()
      : written === stored);
    const holds = Object.entries(entity).every(([name, value]) => name === 'partitionKey' || name === 'rowKey' || value === undefined || same(value, row[name]));
    return holds ? row.etag : undefined;
  }

  private async offloadInstance(entity: Entity): Promise<Entity> {
    return this.largeValues === undefined ? entity : this.largeValues.offloadToUrls(entity);
  }

  private async restoreInstance<T extends Record<string, unknown>>(row: T): Promise<T> {
    return this.largeValues === undefined ? row : this.largeValues.restoreFromUrls(row);
  }

  private columnsOf(update: InstanceUpdate): Record<string, unknown> {
    return { ...instanceColumnsOf(update), TaskHubName: this.taskHubName };
  }

  private async submit(operations: readonly BatchOperation[], sentinel: Entity, instanceId: string): Promise<string> {
    try {
      const etag = this.writers
        ? (await this.writers.history.submitBatch(operations)).at(-1)
        : (await this.history.submitTransaction(operations.map(sdkAction))).subResponses[operations.length - 1]?.etag;
      if (etag === undefined) throw new Error(`Table storage did not return the new checkpoint ETag of instance "${instanceId}".`);
      return etag;
    } catch (error) {
      if (isConflict(error)) {
        const etag = await this.etagIfWritten(this.history, sentinel);
        if (etag !== undefined) return etag;
      }
      // 404: the sentinel is gone (the instance was purged meanwhile), which is a lost race too.
      if (isConflict(error) || isNotFound(error)) {
        throw new CheckpointConflictError(`Another writer checkpointed instance "${instanceId}" first.`, { cause: error });
      }
      throw translated(error);
    }
  }
}

function sdkAction(operation: BatchOperation): TransactionAction {
  switch (operation.kind) {
    case 'upsertReplace':
      return ['upsert', operation.entity, 'Replace'];
    case 'create':
      return ['create', operation.entity];
    case 'mergeIfMatch':
      return ['update', operation.entity, 'Merge', { etag: operation.etag }];
    case 'delete':
      return ['delete', { partitionKey: operation.partitionKey, rowKey: operation.rowKey }];
  }
}

async function createTableIfMissing(client: TableClient): Promise<void> {
  try {
    await client.createTable();
  } catch (error) {
    // 409: the table exists already (another app or host created it), which is what we want.
    if (statusCodeOf(error) !== 409) throw error;
  }
}

function translated(error: unknown): unknown {
  return isTooLarge(error)
    ? new ValueTooLargeError('A value is too large for Azure Table storage (at most 64 KiB per property): give the storage connection a BlobEndpoint, where large values go.', { cause: error })
    : error;
}

function instanceColumnsOf(update: InstanceUpdate): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (update.name !== undefined) columns.Name = update.name;
  if (update.version !== undefined) columns.Version = update.version;
  if (update.input !== undefined) columns.Input = update.input;
  if (update.output !== undefined) columns.Output = update.output;
  if (update.customStatus !== undefined) columns.CustomStatus = update.customStatus;
  if (update.runtimeStatus !== undefined) columns.RuntimeStatus = update.runtimeStatus;
  if (update.createdTime !== undefined) columns.CreatedTime = update.createdTime;
  if (update.lastUpdatedTime !== undefined) columns.LastUpdatedTime = update.lastUpdatedTime;
  if (update.completedTime !== undefined) columns.CompletedTime = update.completedTime;
  if (update.executionId !== undefined) columns.ExecutionId = update.executionId;
  return columns;
}

function toInstanceState(row: Readonly<Record<string, unknown>> & { partitionKey?: string; etag?: string }): InstanceState | undefined {
  const status = row.RuntimeStatus;
  if (typeof row.partitionKey !== 'string' || typeof status !== 'string' || !(runtimeStatuses as readonly string[]).includes(status)) return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const date = (value: unknown): Date | undefined => (value instanceof Date ? value : typeof value === 'string' && value !== '' ? new Date(value) : undefined);
  const createdTime = date(row.CreatedTime) ?? new Date(0);
  const version = text(row.Version);
  const input = text(row.Input);
  const output = text(row.Output);
  const customStatus = text(row.CustomStatus);
  const completedTime = date(row.CompletedTime);
  return {
    instanceId: unescapeKey(row.partitionKey),
    name: text(row.Name) ?? '',
    ...(version === undefined ? {} : { version }),
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    ...(customStatus === undefined ? {} : { customStatus }),
    runtimeStatus: status as RuntimeStatus,
    createdTime,
    lastUpdatedTime: date(row.LastUpdatedTime) ?? createdTime,
    ...(completedTime === undefined ? {} : { completedTime }),
    executionId: text(row.ExecutionId) ?? '',
    taskHubName: text(row.TaskHubName) ?? '',
    etag: row.etag ?? '',
  };
}

function instanceFilter(query: InstanceQuery): string {
  const conditions = [odata`RowKey eq ${''}`];
  if (query.taskHubName !== undefined) conditions.push(odata`TaskHubName eq ${query.taskHubName}`);
  if (query.runtimeStatus !== undefined && query.runtimeStatus.length > 0) {
    conditions.push(`(${query.runtimeStatus.map((status) => odata`RuntimeStatus eq ${status}`).join(' or ')})`);
  }
  if (query.createdTimeFrom !== undefined) conditions.push(odata`CreatedTime ge ${query.createdTimeFrom}`);
  if (query.createdTimeTo !== undefined) conditions.push(odata`CreatedTime le ${query.createdTimeTo}`);
  if (query.instanceIdPrefix !== undefined && query.instanceIdPrefix !== '') {
    const prefix = escapeKey(query.instanceIdPrefix);
    const last = prefix.charCodeAt(prefix.length - 1);
    const upper = prefix.slice(0, -1) + String.fromCharCode(last + 1);
    conditions.push(odata`PartitionKey ge ${prefix}`, odata`PartitionKey lt ${upper}`);
  }
  return conditions.join(' and ');
}

function selectedColumns(query: InstanceQuery): string[] {
  return query.showInput === false ? instanceColumns.filter((column) => column !== 'Input') : instanceColumns;
}
