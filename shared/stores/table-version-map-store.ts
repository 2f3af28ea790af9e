import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import { createTableClient, type TableStorage } from '../storage/table-client-factory.js';
import { storageStatusOf, toStorageError } from '../storage/table-storage-errors.js';
import { versionMapProblem } from '../versions/version-map-validation.js';
import { emptyVersionMap, type VersionMap } from '../versions/version-map.js';
import type { VersionMapSnapshot, VersionMapStore } from './version-map-store.js';
import { defaultUpdateRetry, updateWithRetry, type UpdateRetryOptions } from './version-map-update.js';

export const defaultVersionMapTableName = 'DurableRouterVersionMap';

export interface TableVersionMapStoreOptions {
  readonly tableName?: string;
  readonly retry?: UpdateRetryOptions;
  /** Passed to the SDK client, e.g. `{ retryOptions: { maxRetries: 0 } }`. */
  readonly clientOptions?: TableServiceClientOptions;
}

/*
 * The whole map is one entity, so one ETag guards it and every write is atomic. Its JSON is split
 * across properties Json0..JsonN because a string property holds at most 64 KiB (32K UTF-16 units);
 * an entity holds at most 1 MiB, which bounds the number of chunks. The JSON is kept ASCII (other
 * characters as \uXXXX escapes): Azurite 3.35 corrupts a multi-byte character that straddles two
 * chunks of a large request body (Azure/Azurite#2670), and pure ASCII also lets chunks be cut anywhere.
 */
const partitionKey = 'version-map';
const rowKey = 'current';
const format = 1;
const chunkLength = 32_000;
const maxChunks = 15;

interface MapEntity {
  partitionKey: string;
  rowKey: string;
  Format: number;
  Chunks: number;
  [chunk: `Json${number}`]: string;
}

/** The version map in Azure Table storage (Azurite locally), written with optimistic concurrency. */
export class TableVersionMapStore implements VersionMapStore {
  readonly #client: TableClient;
  readonly #tableName: string;
  readonly #retry: UpdateRetryOptions;

  constructor(storage: TableStorage, options: TableVersionMapStoreOptions = {}) {
    this.#tableName = options.tableName ?? defaultVersionMapTableName;
    this.#client = createTableClient(storage, this.#tableName, options.clientOptions);
    this.#retry = options.retry ?? defaultUpdateRetry;
  }

  async read(): Promise<VersionMapSnapshot> {
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await this.#client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      // No table or no row yet: nothing has been released.
      if (storageStatusOf(error) === 404) return { map: emptyVersionMap, etag: undefined };
      throw toStorageError(error, `read the version map from table ${this.#tableName}`);
    }
    return { map: this.#decode(entity), etag: entity.etag };
  }

  async write(expected: VersionMapSnapshot, next: VersionMap): Promise<VersionMapSnapshot> {
    const problem = versionMapProblem(next);
    if (problem !== undefined) throw new RouterError('INTERNAL', `Refusing to store an invalid version map: ${problem}.`);
    const json = asciiJson(next);
    const entity = this.#encode(json);
    let etag: string | undefined;
    try {
      etag = expected.etag === undefined ? await this.#create(entity) : (await this.#client.updateEntity(entity, 'Replace', { etag: expected.etag })).etag;
    } catch (error) {
      throw this.#writeError(error, expected);
    }
    if (etag === undefined) throw new RouterError('INTERNAL', `Table ${this.#tableName} stored the version map but returned no ETag.`);
    return { map: JSON.parse(json) as VersionMap, etag };
  }

  update(change: (map: VersionMap) => VersionMap): Promise<VersionMapSnapshot> {
    return updateWithRetry(this, change, this.#retry);
  }

  /** Creates the row, never overwriting one: a create that finds a row is a conflict. */
  async #create(entity: MapEntity): Promise<string | undefined> {
    try {
      return (await this.#client.createEntity(entity)).etag;
    } catch (error) {
      if (storageStatusOf(error) !== 404) throw error;
      await this.#client.createTable();
      return (await this.#client.createEntity(entity)).etag;
    }
  }

  #writeError(error: unknown, expected: VersionMapSnapshot): RouterError {
    const status = storageStatusOf(error);
    // 409: the row exists though we expected none; 412: the ETag is stale; 404: the row we expected is gone.
    if (status === 409 || status === 412 || (status === 404 && expected.etag !== undefined)) {
      return new RouterError('VERSION_MAP_CONFLICT', 'The version map changed since it was read; read it again and retry.', {
        cause: error, details: { status },
      });
    }
    return toStorageError(error, `write the version map to table ${this.#tableName}`);
  }

  #encode(json: string): MapEntity {
    const chunks = splitIntoChunks(json);
    if (chunks.length > maxChunks) {
      throw new RouterError(
        'INTERNAL',
        `The version map is too large to store (${json.length} characters; at most ${chunkLength * maxChunks} fit in one Table entity).`,
      );
    }
    const entity: MapEntity = { partitionKey, rowKey, Format: format, Chunks: chunks.length };
    chunks.forEach((chunk, index) => { entity[`Json${index}`] = chunk; });
    return entity;
  }

  #decode(entity: Record<string, unknown>): VersionMap {
    const invalid = (reason: string): RouterError => new RouterError(
      'INTERNAL',
      `The version map stored in table ${this.#tableName} cannot be read: ${reason}.`,
      { details: { table: this.#tableName } },
    );
    if (entity.Format !== format) throw invalid(`its format is ${String(entity.Format)}, this router reads format ${format} (was it written by a newer durable-router?)`);
    const count = entity.Chunks;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > maxChunks) throw invalid('its chunk count is not valid');
    let json = '';
    for (let index = 0; index < count; index++) {
      const chunk = entity[`Json${index}`];
      if (typeof chunk !== 'string') throw invalid(`chunk Json${index} is missing`);
      json += chunk;
    }
    let map: unknown;
    try {
      map = JSON.parse(json);
    } catch (error) {
      throw invalid(`it is not JSON (${(error as Error).message})`);
    }
    const problem = versionMapProblem(map);
    if (problem !== undefined) throw invalid(problem);
    return map as VersionMap;
  }
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function splitIntoChunks(text: string): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += chunkLength) chunks.push(text.slice(start, start + chunkLength));
  return chunks.length === 0 ? [''] : chunks;
}
