import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import { isRouterError, RouterError } from '../errors/router-error.js';
import type { AppKeys } from '../secrets/app-keys.js';
import { SecretBox } from '../secrets/secret-box.js';
import { createTableClient, type TableStorage } from '../storage/table-client-factory.js';
import { storageStatusOf, toStorageError } from '../storage/table-storage-errors.js';
import type { AppKeySnapshot, AppKeyStore } from './app-key-store.js';

export const defaultAppKeyTableName = 'DurableRouterAppKeys';

export interface TableAppKeyStoreOptions {
  /** The router's secrets key (ROUTER_SECRETS_KEY): the keys are sealed with it. */
  readonly secretsKey: string;
  readonly tableName?: string;
  /** Passed to the SDK client, e.g. `{ retryOptions: { maxRetries: 0 } }`. */
  readonly clientOptions?: TableServiceClientOptions;
}

const partitionKey = 'app';
const sealPurpose = 'app-keys';

interface KeyEntity {
  partitionKey: string;
  rowKey: string;
  Sealed: string;
}

/** Apps' keys in Azure Table storage, one row per app, sealed (AES-256-GCM) with the router's secrets key. */
export class TableAppKeyStore implements AppKeyStore {
  readonly #client: TableClient;
  readonly #tableName: string;
  readonly #box: SecretBox;
  #tableReady: Promise<void> | undefined;

  constructor(storage: TableStorage, options: TableAppKeyStoreOptions) {
    this.#tableName = options.tableName ?? defaultAppKeyTableName;
    this.#client = createTableClient(storage, this.#tableName, options.clientOptions);
    this.#box = new SecretBox(options.secretsKey, sealPurpose);
  }

  async put(appName: string, keys: AppKeys): Promise<void> {
    await this.#ensureTable();
    const entity: KeyEntity = { partitionKey, rowKey: appName, Sealed: this.#box.seal(JSON.stringify({ function: keys.function, durableTask: keys.durableTask }), appName) };
    try {
      await this.#client.upsertEntity(entity, 'Replace');
    } catch (error) {
      throw toStorageError(error, `keep the keys of app ${appName} in table ${this.#tableName}`);
    }
  }

  async remove(appName: string): Promise<void> {
    try {
      await this.#client.deleteEntity(partitionKey, appName);
    } catch (error) {
      if (storageStatusOf(error) === 404) return;
      throw toStorageError(error, `remove the keys of app ${appName} from table ${this.#tableName}`);
    }
  }

  async readAll(): Promise<AppKeySnapshot> {
    const keys = new Map<string, AppKeys>();
    const unreadable: string[] = [];
    try {
      for await (const entity of this.#client.listEntities<KeyEntity>({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } })) {
        const appName = entity.rowKey as string;
        try {
          keys.set(appName, this.#open(appName, entity.Sealed));
        } catch (error) {
          if (!isRouterError(error, 'SECRET_UNREADABLE')) throw error;
          unreadable.push(appName);
        }
      }
    } catch (error) {
      if (storageStatusOf(error) !== 404) throw toStorageError(error, `read the apps' keys from table ${this.#tableName}`);
    }
    return { keys, unreadable };
  }

  #open(appName: string, sealed: unknown): AppKeys {
    if (typeof sealed !== 'string') throw new RouterError('SECRET_UNREADABLE', `The keys of app ${appName} in table ${this.#tableName} have no sealed value.`, { details: { appName } });
    const value = JSON.parse(this.#box.open(sealed, appName)) as Partial<AppKeys>;
    if (typeof value.function !== 'string' || typeof value.durableTask !== 'string') {
      throw new RouterError('SECRET_UNREADABLE', `The keys of app ${appName} in table ${this.#tableName} are incomplete.`, { details: { appName } });
    }
    return { function: value.function, durableTask: value.durableTask };
  }

  #ensureTable(): Promise<void> {
    this.#tableReady ??= this.#client.createTable().then(
      () => undefined,
      (error: unknown) => {
        this.#tableReady = undefined;
        throw toStorageError(error, `create table ${this.#tableName}`);
      },
    );
    return this.#tableReady;
  }
}
