/**
 * Moves values too large for a Table column to the task hub's `{hub}-largemessages` blob container
 * and back, as DurableTask.AzureStorage does (rules in shared/tracking-store/large-values.ts).
 * Every blob call is bounded like the table calls (storage-call-policy.ts).
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import {
  blobNameColumnSuffix, decodeLargeValue, encodeLargeValue, isLargeValue, largeMessageContainerName, largeValueBlobName,
  largeValueBlobNameOfUrl, largeValueBlobPrefix,
} from '../../../../shared/tracking-store/large-values.js';
import { statusCodeOf } from './storage-errors.js';
import { withStorageRetries } from './storage-call-policy.js';

type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

const historyColumns = ['Name', 'Input', 'Result', 'Output', 'Reason', 'Details', 'FailureDetails'];
const instanceColumns = ['Input', 'Output', 'CustomStatus'];

export class LargeValueStore {
  private ready: Promise<void> | undefined;

  private constructor(private readonly container: ContainerClient) {}

  /** The store for the connection's blob service, or undefined when the connection names none. */
  static forConnection(connectionString: string, taskHubName: string): LargeValueStore | undefined {
    const settings = new Map(connectionString.split(';').map((part) => {
      const equals = part.indexOf('=');
      return [part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim()] as const;
    }));
    // A connection with its own TableEndpoint but no BlobEndpoint (Azurite's table service alone) has no blob service.
    if (!settings.has('blobendpoint') && settings.has('tableendpoint')) return undefined;
    const service = BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } });
    return new LargeValueStore(service.getContainerClient(largeMessageContainerName(taskHubName)));
  }

  /** History and Work rows: a large column becomes "" plus `{Column}BlobName`. */
  async offloadToBlobNames(row: Row, eventType: string | undefined, columns: readonly string[] = historyColumns): Promise<Row> {
    const large = columns.filter((column) => isLargeValue(row[column]));
    if (large.length === 0) return row;
    const result: Row = { ...row };
    await Promise.all(large.map(async (column) => {
      const name = largeValueBlobName(row.partitionKey, row.rowKey, eventType ?? column, column);
      await this.upload(name, row[column] as string);
      result[column] = '';
      result[`${column}${blobNameColumnSuffix}`] = name;
    }));
    return result;
  }

  async restoreFromBlobNames<T extends Record<string, unknown>>(row: T): Promise<T> {
    const named = Object.keys(row).filter((column) => column.endsWith(blobNameColumnSuffix) && typeof row[column] === 'string');
    if (named.length === 0) return row;
    const result: Record<string, unknown> = { ...row };
    await Promise.all(named.map(async (column) => {
      result[column.slice(0, -blobNameColumnSuffix.length)] = await this.download(row[column] as string);
      delete result[column];
    }));
    return result as T;
  }

  /** Instances rows: a large column holds its blob's URL. */
  async offloadToUrls(row: Row): Promise<Row> {
    const large = instanceColumns.filter((column) => isLargeValue(row[column]));
    if (large.length === 0) return row;
    const result: Row = { ...row };
    await Promise.all(large.map(async (column) => {
      const name = largeValueBlobName(row.partitionKey, row.rowKey, column, column);
      await this.upload(name, row[column] as string);
      result[column] = this.container.getBlobClient(name).url;
    }));
    return result;
  }

  async restoreFromUrls<T extends Record<string, unknown>>(row: T): Promise<T> {
    const linked = instanceColumns.filter((column) => largeValueBlobNameOfUrl(row[column], this.container.containerName) !== undefined);
    if (linked.length === 0) return row;
    const result: Record<string, unknown> = { ...row };
    await Promise.all(linked.map(async (column) => {
      result[column] = await this.download(largeValueBlobNameOfUrl(row[column], this.container.containerName) as string);
    }));
    return result as T;
  }

  /** Deletes every blob of an instance (its purge). */
  async deleteInstanceBlobs(partitionKey: string): Promise<void> {
    const names: string[] = [];
    try {
      await withStorageRetries(`the list of large values of "${partitionKey}"`, async (abortSignal) => {
        names.length = 0;
        for await (const blob of this.container.listBlobsFlat({ prefix: largeValueBlobPrefix(partitionKey), abortSignal })) names.push(blob.name);
      });
    } catch (error) {
      // No container: no large value was ever written.
      if (statusCodeOf(error) === 404) return;
      throw error;
    }
    await Promise.all(names.map((name) => withStorageRetries(`the deletion of blob ${name}`, (abortSignal) => this.container.deleteBlob(name, { abortSignal }).catch((error: unknown) => {
      if (statusCodeOf(error) !== 404) throw error;
      return undefined;
    }))));
  }

  private async upload(name: string, value: string): Promise<void> {
    this.ready ??= withStorageRetries(`the creation of container ${this.container.containerName}`, async (abortSignal) => {
      await this.container.createIfNotExists({ abortSignal });
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    const body = encodeLargeValue(value);
    await withStorageRetries(`the upload of blob ${name}`, (abortSignal) => this.container.getBlockBlobClient(name).uploadData(body, {
      abortSignal, blobHTTPHeaders: { blobContentType: 'application/gzip' },
    }));
  }

  private async download(name: string): Promise<string> {
    const body = await withStorageRetries(`the download of blob ${name}`, (abortSignal) => this.container.getBlobClient(name).downloadToBuffer(0, undefined, { abortSignal }));
    return decodeLargeValue(body);
  }
}
