/**
 * The task hub's durable inbox (`{hub}Work`, one per hub, never shared): messages an instance
 * must receive that no history implies yet — starts of sub-orchestrations, raised events, answers
 * from sub-orchestrations and entities, entity operations, terminate/suspend/resume. A message is
 * written before anyone may act on it and deleted only after its effect is checkpointed; work
 * that history implies (scheduled activities, timers) is never written here.
 */
import { randomBytes } from 'node:crypto';
import { type TableClient, type TransactionAction } from '@azure/data-tables';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import { escapeKey, unescapeKey } from '../../../../shared/tracking-store/tracking-store-schema.js';
import type { HistoryEvent, ParentInstanceInfo } from '../history/history-event.js';
import { LargeValueStore } from './large-value-store.js';
import { boundedTableClientOptions } from './storage-call-policy.js';
import { isNotFound, isTooLarge, statusCodeOf, ValueTooLargeError } from './storage-errors.js';

/** An operation for an entity, as the extension's RequestMessage carries it. */
export interface EntityOperationRequest {
  readonly id: string;
  readonly op: string;
  readonly signal: boolean;
  /** JSON text of the operation's input. */
  readonly input?: string;
  readonly parent?: string;
  readonly parentExecution?: string;
}

export type WorkMessageBody =
  | {
    readonly kind: 'start'; readonly executionId: string; readonly name: string; readonly input?: string;
    readonly version?: string; readonly parent?: ParentInstanceInfo;
    /** A client start's: its Pending Instances row has this creation time. */
    readonly createdTime?: string;
  }
  /** A history event for the instance (EventRaised, SubOrchestrationInstanceCompleted/Failed), for one execution or any. */
  | { readonly kind: 'event'; readonly event: HistoryEvent; readonly executionId?: string }
  | { readonly kind: 'terminate'; readonly reason?: string }
  | { readonly kind: 'suspend'; readonly reason?: string }
  | { readonly kind: 'resume'; readonly reason?: string }
  | { readonly kind: 'entityOperation'; readonly request: EntityOperationRequest };

export interface WorkMessage {
  readonly instanceId: string;
  /** RowKey: sortable by enqueue time, unique. */
  readonly key: string;
  readonly body: WorkMessageBody;
}

let sequence = 0;

/** A new message key; keys sort in the order this process created them. */
export function newMessageKey(now = Date.now()): string {
  sequence = (sequence + 1) % 0x100000;
  return `${now.toString(16).padStart(12, '0')}-${sequence.toString(16).padStart(5, '0')}-${randomBytes(4).toString('hex')}`;
}

export class WorkQueue {
  private constructor(private readonly table: TableClient, private readonly largeValues: LargeValueStore | undefined) {}

  static open(connectionString: string, tableName: string, taskHubName: string): WorkQueue {
    return new WorkQueue(createTableClient(connectionString, tableName, boundedTableClientOptions()), LargeValueStore.forConnection(connectionString, taskHubName));
  }

  async ensureTable(): Promise<void> {
    try {
      await this.table.createTable();
    } catch (error) {
      // 409: it exists already.
      if (statusCodeOf(error) !== 409) throw error;
    }
  }

  /** Writes messages durably; messages for the same instance go in one transaction. */
  async put(messages: readonly WorkMessage[]): Promise<void> {
    const byInstance = new Map<string, WorkMessage[]>();
    for (const message of messages) {
      const group = byInstance.get(message.instanceId);
      if (group) group.push(message);
      else byInstance.set(message.instanceId, [message]);
    }
    try {
      await Promise.all([...byInstance.values()].map(async (group) => {
        for (let at = 0; at < group.length; at += 100) {
          const chunk = group.slice(at, at + 100);
          const rows = await Promise.all(chunk.map((message) => this.largeValues?.offloadToBlobNames(toRow(message), undefined, ['Body']) ?? toRow(message)));
          if (rows.length === 1) await this.table.upsertEntity(rows[0] as ReturnType<typeof toRow>, 'Replace');
          else await this.table.submitTransaction(rows.map((row): TransactionAction => ['upsert', row, 'Replace']));
        }
      }));
    } catch (error) {
      if (isTooLarge(error)) throw new ValueTooLargeError('A message is too large for Azure Table storage (at most 64 KiB per value).', { cause: error });
      throw error;
    }
  }

  /** Deletes consumed messages; ones already gone are fine. */
  async delete(instanceId: string, keys: readonly string[]): Promise<void> {
    const partitionKey = escapeKey(instanceId);
    for (let at = 0; at < keys.length; at += 100) {
      const chunk = keys.slice(at, at + 100);
      try {
        if (chunk.length === 1) await this.table.deleteEntity(partitionKey, chunk[0] as string);
        else await this.table.submitTransaction(chunk.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // One of them was deleted already (a redelivery was consumed twice): delete the rest one by one.
        await Promise.all(chunk.map((rowKey) => this.table.deleteEntity(partitionKey, rowKey).catch((inner: unknown) => {
          if (!isNotFound(inner)) throw inner;
        })));
      }
    }
  }

  /** Every message in the table; `skip` leaves out ones the caller has (their bodies are not read from blobs). */
  async *list(skip?: (instanceId: string, key: string) => boolean): AsyncIterable<WorkMessage> {
    for await (const row of this.table.listEntities<Record<string, unknown>>()) {
      if (skip !== undefined && typeof row.partitionKey === 'string' && typeof row.rowKey === 'string' && skip(unescapeKey(row.partitionKey), row.rowKey)) continue;
      const message = fromRow(this.largeValues === undefined ? row : await this.largeValues.restoreFromBlobNames(row));
      if (message !== undefined) yield message;
    }
  }
}

function toRow(message: WorkMessage): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return { partitionKey: escapeKey(message.instanceId), rowKey: message.key, Kind: message.body.kind, Body: JSON.stringify(message.body) };
}

function fromRow(row: Readonly<Record<string, unknown>> & { partitionKey?: string; rowKey?: string }): WorkMessage | undefined {
  if (typeof row.partitionKey !== 'string' || typeof row.rowKey !== 'string' || typeof row.Body !== 'string') return undefined;
  try {
    return { instanceId: unescapeKey(row.partitionKey), key: row.rowKey, body: JSON.parse(row.Body) as WorkMessageBody };
  } catch {
    // A row that is not one of ours (or was cut short) cannot be delivered; it is left for inspection.
    return undefined;
  }
}
