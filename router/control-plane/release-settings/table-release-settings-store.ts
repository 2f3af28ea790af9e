import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import { RouterError } from '../../../shared/errors/router-error.js';
import { SecretBox } from '../../../shared/secrets/secret-box.js';
import { createTableClient, type TableStorage } from '../../../shared/storage/table-client-factory.js';
import { storageStatusOf, toStorageError } from '../../../shared/storage/table-storage-errors.js';
import type { ReleaseSettingsStore } from './release-settings-store.js';

export const defaultReleaseSettingsTableName = 'DurableRouterReleaseSettings';

export interface TableReleaseSettingsStoreOptions {
  /** The router's secrets key (ROUTER_SECRETS_KEY): the settings are sealed with it. */
  readonly secretsKey: string;
  readonly tableName?: string;
  readonly clientOptions?: TableServiceClientOptions;
}

const partitionKey = 'release';
const sealPurpose = 'release-settings';
// A Table property holds at most 64 KiB (32 Ki UTF-16 characters) and an entity 1 MiB: the sealed
// text is split over properties of this many (ASCII) characters.
const partLength = 30_000;
const maxParts = 30;

interface SettingsEntity {
  partitionKey: string;
  rowKey: string;
  Parts: number;
  [part: `Sealed${number}`]: string;
}

/** Releases' settings in Azure Table storage, one row per release, sealed (AES-256-GCM) with the router's secrets key. */
export class TableReleaseSettingsStore implements ReleaseSettingsStore {
  readonly #client: TableClient;
  readonly #tableName: string;
  readonly #box: SecretBox;
  #tableReady: Promise<void> | undefined;

  constructor(storage: TableStorage, options: TableReleaseSettingsStoreOptions) {
    this.#tableName = options.tableName ?? defaultReleaseSettingsTableName;
    this.#client = createTableClient(storage, this.#tableName, options.clientOptions);
    this.#box = new SecretBox(options.secretsKey, sealPurpose);
  }

  async put(releaseId: string, settings: Readonly<Record<string, string>>): Promise<void> {
    const sealed = this.#box.seal(JSON.stringify(settings), releaseId);
    const parts = Math.ceil(sealed.length / partLength);
    if (parts > maxParts) {
      throw new RouterError('INVALID_REQUEST', `The release's settings are too large to keep: ${Math.ceil(sealed.length / 1024)} KiB sealed, at most ${Math.floor((partLength * maxParts) / 1024)} KiB. Keep large values elsewhere (a Key Vault reference, a blob) and name them in the settings.`);
    }
    const entity: SettingsEntity = { partitionKey, rowKey: releaseId, Parts: parts };
    for (let part = 0; part < parts; part++) entity[`Sealed${part}`] = sealed.slice(part * partLength, (part + 1) * partLength);
    await this.#ensureTable();
    try {
      await this.#client.upsertEntity(entity, 'Replace');
    } catch (error) {
      throw toStorageError(error, `keep the settings of release ${releaseId} in table ${this.#tableName}`);
    }
  }

  async get(releaseId: string): Promise<Readonly<Record<string, string>> | undefined> {
    let entity: SettingsEntity;
    try {
      entity = await this.#client.getEntity<SettingsEntity>(partitionKey, releaseId);
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw toStorageError(error, `read the settings of release ${releaseId} from table ${this.#tableName}`);
    }
    const parts: string[] = [];
    for (let part = 0; part < (Number.isInteger(entity.Parts) ? entity.Parts : 0); part++) {
      const text = entity[`Sealed${part}`];
      if (typeof text !== 'string') break;
      parts.push(text);
    }
    if (parts.length === 0 || parts.length !== entity.Parts) {
      throw new RouterError('SECRET_UNREADABLE', `The settings of release ${releaseId} in table ${this.#tableName} are incomplete.`, { details: { releaseId } });
    }
    const value = JSON.parse(this.#box.open(parts.join(''), releaseId)) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((setting) => typeof setting === 'string')) {
      throw new RouterError('SECRET_UNREADABLE', `The settings of release ${releaseId} in table ${this.#tableName} are not settings.`, { details: { releaseId } });
    }
    return value as Record<string, string>;
  }

  async remove(releaseId: string): Promise<void> {
    try {
      await this.#client.deleteEntity(partitionKey, releaseId);
    } catch (error) {
      if (storageStatusOf(error) === 404) return;
      throw toStorageError(error, `remove the settings of release ${releaseId} from table ${this.#tableName}`);
    }
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
