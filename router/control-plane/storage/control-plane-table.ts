import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { toStorageError } from '../../../shared/storage/table-storage-errors.js';

/** The control plane's own bookkeeping (release claims, app records), next to the version map. */
const defaultControlPlaneTableName = 'DurableRouterControlPlane';

/** One Table client whose table is created on first use. */
export class ControlPlaneTable {
  readonly client: TableClient;
  readonly name: string;
  #ready: Promise<void> | undefined;

  constructor(connectionString: string, options: { tableName?: string; clientOptions?: TableServiceClientOptions } = {}) {
    this.name = options.tableName ?? defaultControlPlaneTableName;
    this.client = createTableClient(connectionString, this.name, options.clientOptions);
  }

  /** Resolves once the table exists; a failure is retried by the next call. */
  ready(): Promise<void> {
    this.#ready ??= this.client.createTable().catch((error: unknown) => {
      this.#ready = undefined;
      throw toStorageError(error, `create table ${this.name}`);
    });
    return this.#ready;
  }
}
