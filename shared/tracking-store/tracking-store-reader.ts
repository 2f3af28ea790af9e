import { odata, type TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import { createTableClient } from '../storage/table-client-factory.js';
import { storageStatusOf, toStorageError } from '../storage/table-storage-errors.js';
import {
  activeRuntimeStatuses, defaultTrackingStoreNamePrefix, escapeKey, runtimeStatuses, trackingTableNames, type RuntimeStatus,
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

/** Reads the shared Instances table. A missing table means no instances yet, not an error. */
export class TrackingStoreReader {
  readonly #instances: TableClient;
  readonly #tableName: string;
  readonly #pageSize: number;

  constructor(connectionString: string, options: TrackingStoreReaderOptions = {}) {
    this.#pageSize = options.pageSize ?? 1000;
    this.#tableName = trackingTableNames(options.prefix ?? defaultTrackingStoreNamePrefix).instances;
    this.#instances = createTableClient(connectionString, this.#tableName, options.clientOptions);
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

  /** Unfinished instances of one task hub, by status. */
  async countActive(taskHub: string): Promise<ActiveInstanceCounts> {
    const counts = { pending: 0, running: 0, suspended: 0 };
    const statuses = activeRuntimeStatuses.map((status) => odata`RuntimeStatus eq ${status}`).join(' or ');
    const filter = `${odata`TaskHubName eq ${taskHub}`} and (${statuses})`;
    try {
      const pages = this.#instances.listEntities<{ RuntimeStatus?: unknown }>({ queryOptions: { filter, select: ['RuntimeStatus'] } }).byPage({ maxPageSize: this.#pageSize });
      for await (const page of pages) {
        for (const row of page) {
          const key = countKeys[row.RuntimeStatus as RuntimeStatus];
          if (key !== undefined) counts[key] += 1;
        }
      }
    } catch (error) {
      if (storageStatusOf(error) === 404) return counts;
      throw toStorageError(error, `count the instances of task hub "${taskHub}" in table ${this.#tableName}`);
    }
    return counts;
  }

  #summaryOf(instanceId: string, row: Record<string, unknown>): InstanceSummary {
    const { Name: name, TaskHubName: taskHub, RuntimeStatus: runtimeStatus, CreatedTime: createdTime } = row;
    if (typeof name !== 'string' || typeof taskHub !== 'string' || !(createdTime instanceof Date)
      || typeof runtimeStatus !== 'string' || !(runtimeStatuses as readonly string[]).includes(runtimeStatus)) {
      throw new RouterError(
        'INTERNAL',
        `The ${this.#tableName} row of instance "${instanceId}" is not in the DurableTask schema (Name, TaskHubName, RuntimeStatus, CreatedTime).`,
        { details: { instanceId, table: this.#tableName } },
      );
    }
    return { instanceId, name, taskHub, runtimeStatus: runtimeStatus as RuntimeStatus, createdTime };
  }
}
