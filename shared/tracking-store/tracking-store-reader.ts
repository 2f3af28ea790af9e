import { odata, type TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import { createTableClient, type TableStorage } from '../storage/table-client-factory.js';
import { storageStatusOf, toStorageError } from '../storage/table-storage-errors.js';
import {
  decodeInstanceCursor, encodeInstanceCursor, instanceQueryFilter, type InstanceCursor, type InstancePage, type InstanceQuery, type InstanceRecord,
} from './instance-query.js';
import {
  activeRuntimeStatuses, defaultTrackingStoreNamePrefix, escapeKey, runtimeStatuses, trackingTableNames, unescapeKey, type RuntimeStatus,
} from './tracking-store-schema.js';

/** What the router needs to know about one instance: above all, which task hub (so which app) owns it. */
export interface InstanceSummary {
  readonly instanceId: string;
  readonly name: string;
  readonly taskHub: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: Date;
}

export interface ActiveInstanceCounts {
  readonly pending: number;
  readonly running: number;
  readonly suspended: number;
}

export interface TrackingStoreReaderOptions {
  /** Table name prefix shared by the apps; default "DurableTask". */
  readonly prefix?: string;
  /** Passed to the SDK client, e.g. `{ retryOptions: { maxRetries: 0 } }`. */
  readonly clientOptions?: TableServiceClientOptions;
  /** Rows per page when counting; default 1000, the service's maximum. */
  readonly pageSize?: number;
}

const countKeys: Partial<Record<RuntimeStatus, keyof ActiveInstanceCounts>> = { Pending: 'pending', Running: 'running', Suspended: 'suspended' };
const summaryColumns = ['Name', 'TaskHubName', 'RuntimeStatus', 'CreatedTime'];
const recordColumns = ['PartitionKey', ...summaryColumns, 'LastUpdatedTime', 'Version'];
/**
 * A selective filter can make Table storage answer pages with few or no rows (it stops scanning
 * after 1,000 rows or 5 s): one query reads at most this many pages, then hands back a token.
 */
const maxPagesPerQuery = 8;

/** Reads the shared Instances table. A missing table means no instances yet, not an error. */
export class TrackingStoreReader {
  readonly #instances: TableClient;
  readonly #tableName: string;
  readonly #pageSize: number;

  constructor(storage: TableStorage, options: TrackingStoreReaderOptions = {}) {
    this.#pageSize = options.pageSize ?? 1000;
    this.#tableName = trackingTableNames(options.prefix ?? defaultTrackingStoreNamePrefix).instances;
    this.#instances = createTableClient(storage, this.#tableName, options.clientOptions);
  }

  async getInstance(instanceId: string): Promise<InstanceSummary | undefined> {
    let row: Record<string, unknown>;
    try {
      row = await this.#instances.getEntity<Record<string, unknown>>(escapeKey(instanceId), '', { queryOptions: { select: summaryColumns } });
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw toStorageError(error, `read instance "${instanceId}" from table ${this.#tableName}`);
    }
    return this.#summaryOf(instanceId, row);
  }

  /**
   * Unfinished orchestrations of one task hub, by status. Durable entities are left out: they have
   * no end (their rows say Running for as long as they exist), so counting them would keep a
   * version that uses entities from ever draining.
   */
  async countActive(taskHub: string): Promise<ActiveInstanceCounts> {
    const total = { pending: 0, running: 0, suspended: 0 };
    for (const counts of (await this.countActiveByVersion(taskHub)).values()) {
      total.pending += counts.pending;
      total.running += counts.running;
      total.suspended += counts.suspended;
    }
    return total;
  }

  /**
   * The same, by the orchestration version each instance records (`Version`; '' when it has none):
   * apps that run several versions (orchestration versioning) are counted per version.
   */
  async countActiveByVersion(taskHub: string): Promise<Map<string, ActiveInstanceCounts>> {
    const byVersion = new Map<string, { pending: number; running: number; suspended: number }>();
    const statuses = activeRuntimeStatuses.map((status) => odata`RuntimeStatus eq ${status}`).join(' or ');
    const filter = `${odata`TaskHubName eq ${taskHub}`} and (${statuses})`;
    try {
      const pages = this.#instances.listEntities<{ RuntimeStatus?: unknown; Version?: unknown }>({ queryOptions: { filter, select: ['PartitionKey', 'RuntimeStatus', 'Version'] } })
        .byPage({ maxPageSize: this.#pageSize });
      for await (const page of pages) {
        for (const row of page) {
          if (isEntityInstanceId(row.partitionKey ?? '')) continue;
          const key = countKeys[row.RuntimeStatus as RuntimeStatus];
          if (key === undefined) continue;
          const version = typeof row.Version === 'string' ? row.Version : '';
          const counts = byVersion.get(version) ?? { pending: 0, running: 0, suspended: 0 };
          counts[key] += 1;
          byVersion.set(version, counts);
        }
      }
    } catch (error) {
      if (storageStatusOf(error) === 404) return byVersion;
      throw toStorageError(error, `count the instances of task hub "${taskHub}" in table ${this.#tableName}`);
    }
    return byVersion;
  }

  /**
   * One page of the instances a query matches, in instance id order. A page can hold fewer than
   * `top` instances while more follow: read on while it answers a continuation token.
   */
  async queryInstances(query: InstanceQuery): Promise<InstancePage> {
    let cursor = query.continuationToken === undefined ? undefined : decodeInstanceCursor(query.continuationToken);
    if (query.taskHubs.length === 0) return { instances: [], continuationToken: undefined };
    const filter = instanceQueryFilter(query);
    const instances: InstanceRecord[] = [];
    try {
      for (let read = 0; read < maxPagesPerQuery && instances.length < query.top; read++) {
        const pages = this.#instances.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: recordColumns } })
          .byPage({ maxPageSize: query.top - instances.length, ...(cursor === undefined ? {} : { continuationToken: sdkTokenOf(cursor) }) });
        const { value: page } = await pages.next();
        if (page === undefined) break;
        for (const row of page as Record<string, unknown>[]) instances.push(this.#recordOf(row));
        cursor = page.continuationToken === undefined ? undefined : cursorOfSdkToken(page.continuationToken);
        if (cursor === undefined) break;
      }
    } catch (error) {
      if (storageStatusOf(error) === 404) return { instances: [], continuationToken: undefined };
      throw toStorageError(error, `query the instances of table ${this.#tableName}`);
    }
    return { instances, continuationToken: cursor === undefined ? undefined : encodeInstanceCursor(cursor) };
  }

  #recordOf(row: Record<string, unknown>): InstanceRecord {
    const instanceId = unescapeKey(String(row['partitionKey']));
    const summary = this.#summaryOf(instanceId, row);
    const lastUpdatedTime = row['LastUpdatedTime'];
    if (!(lastUpdatedTime instanceof Date)) throw this.#notInSchema(instanceId);
    const version = typeof row['Version'] === 'string' ? row['Version'] : '';
    return { instanceId, name: summary.name, taskHub: summary.taskHub, runtimeStatus: summary.runtimeStatus, createdTime: summary.createdTime, lastUpdatedTime, version };
  }

  #summaryOf(instanceId: string, row: Record<string, unknown>): InstanceSummary {
    const { Name: name, TaskHubName: taskHub, RuntimeStatus: runtimeStatus, CreatedTime: createdTime } = row;
    if (typeof name !== 'string' || typeof taskHub !== 'string' || !(createdTime instanceof Date)
      || typeof runtimeStatus !== 'string' || !(runtimeStatuses as readonly string[]).includes(runtimeStatus)) {
      throw this.#notInSchema(instanceId);
    }
    return { instanceId, name, taskHub, runtimeStatus: runtimeStatus as RuntimeStatus, createdTime };
  }

  #notInSchema(instanceId: string): RouterError {
    return new RouterError(
      'INTERNAL',
      `The ${this.#tableName} row of instance "${instanceId}" is not in the DurableTask schema (Name, TaskHubName, RuntimeStatus, CreatedTime, LastUpdatedTime).`,
      { details: { instanceId, table: this.#tableName } },
    );
  }
}

/** Entity instance ids are "@name@key" (escaping leaves "@" as it is). */
function isEntityInstanceId(key: string): boolean {
  return key.startsWith('@');
}

/*
 * The SDK takes and gives its continuation as base64 JSON of Table storage's next keys; the router
 * hands out its own URL-safe token for the same keys, so that the SDK's format stays behind this seam.
 */
function sdkTokenOf(cursor: InstanceCursor): string {
  return Buffer.from(JSON.stringify({ nextPartitionKey: cursor.partitionKey, ...(cursor.rowKey === undefined ? {} : { nextRowKey: cursor.rowKey }) }), 'utf8').toString('base64');
}

function cursorOfSdkToken(token: string): InstanceCursor {
  let keys: { nextPartitionKey?: unknown; nextRowKey?: unknown } | null;
  try {
    keys = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as typeof keys;
  } catch (cause) {
    throw new RouterError('INTERNAL', 'The Table storage SDK answered a continuation token that is not base64 JSON.', { cause });
  }
  if (typeof keys?.nextPartitionKey !== 'string') throw new RouterError('INTERNAL', 'The Table storage SDK answered a continuation token without a next partition key.');
  return typeof keys.nextRowKey === 'string' ? { partitionKey: keys.nextPartitionKey, rowKey: keys.nextRowKey } : { partitionKey: keys.nextPartitionKey };
}
