/**
 * The task hub's lease row (`{hub}Leases`, on the hub's own connection, next to `{hub}Work`): one
 * row, PartitionKey `app-lease`, RowKey `""`. Every change is guarded by the ETag the writer read.
 * A write retried after its answer was lost meets 412; the row is read back, and if it holds this
 * write's `WriteId` the write succeeded.
 */
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import type { LeaseRecord } from '../ownership/lease-rule.js';
import { boundedTableClientOptions, type StorageCallLimits } from './storage-call-policy.js';
import { isConflict, isNotFound, statusCodeOf } from './storage-errors.js';

export interface StoredLease {
  readonly record: LeaseRecord;
  readonly etag: string;
}

const partitionKey = 'app-lease';
const rowKey = '';

export class LeaseTable {
  private constructor(private readonly table: TableClient) {}

  static open(connectionString: string, tableName: string, limits: StorageCallLimits): LeaseTable {
    return new LeaseTable(createTableClient(connectionString, tableName, boundedTableClientOptions(limits)));
  }

  async ensureTable(): Promise<void> {
    try {
      await this.table.createTable();
    } catch (error) {
      // 409: it exists already.
      if (statusCodeOf(error) !== 409) throw error;
    }
  }

  async read(): Promise<StoredLease | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
      return { record: recordOf(row), etag: String(row.etag) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes the row: created when `etag` is undefined, else replaced if unchanged. Undefined: someone else wrote first. */
  async write(record: LeaseRecord, etag: string | undefined): Promise<StoredLease | undefined> {
    const writeId = randomUUID();
    const entity = {
      partitionKey, rowKey,
      Owner: record.owner,
      OwnerProcess: record.ownerProcess,
      ExpiresAt: new Date(record.expiresAt),
      RequestedBy: record.requestedBy,
      RequestExpiresAt: new Date(record.requestExpiresAt),
      WriteId: writeId,
    };
    try {
      const response = etag === undefined
        ? await this.table.createEntity(entity)
        : await this.table.updateEntity(entity, 'Replace', { etag });
      return { record, etag: String(response.etag) };
    } catch (error) {
      if (!isConflict(error)) throw error;
      const current = await this.table.getEntity<Record<string, unknown>>(partitionKey, rowKey).catch((reading: unknown) => {
        if (isNotFound(reading)) return undefined;
        throw reading;
      });
      return current !== undefined && current['WriteId'] === writeId ? { record, etag: String(current.etag) } : undefined;
    }
  }
}

function recordOf(row: Readonly<Record<string, unknown>>): LeaseRecord {
  return {
    owner: typeof row['Owner'] === 'string' ? row['Owner'] : '',
    ownerProcess: typeof row['OwnerProcess'] === 'string' ? row['OwnerProcess'] : '',
    expiresAt: timeOf(row['ExpiresAt']),
    requestedBy: typeof row['RequestedBy'] === 'string' ? row['RequestedBy'] : '',
    requestExpiresAt: timeOf(row['RequestExpiresAt']),
  };
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  // A row not written by this engine: treat the lease as expired rather than block the hub forever.
  return 0;
}
