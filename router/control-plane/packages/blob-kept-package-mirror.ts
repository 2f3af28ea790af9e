/**
 * Kept packages in a blob container, zipped, as `kept/<router id>/<sha256>.zip`: beside the
 * platform's own package blobs (`<app name>/…`), and apart from other routers' that share the
 * container. Logs name blobs, never the connection string.
 */
import { BlobServiceClient, RestError, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import { RouterError } from '../../../shared/errors/router-error.js';
import { parsePackageStorage } from '../../../deployer/platform/azure/package-storage-account.js';
import { redactedError, redactSecrets } from '../../../deployer/platform/azure/secret-redaction.js';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import type { KeptPackageMirror } from './kept-package-mirror.js';

const uploadBlockBytes = 4 * 1024 * 1024;
const uploadConcurrency = 4;

export interface BlobKeptPackageMirrorOptions {
  /** Secret: never logged. */
  readonly connectionString: string;
  readonly container: string;
  readonly routerId: string;
  readonly logger: Logger;
}

export class BlobKeptPackageMirror implements KeptPackageMirror {
  readonly #container: ContainerClient;
  readonly #accountName: string;
  readonly #prefix: string;
  readonly #logger: Logger;
  #containerReady: Promise<void> | undefined;

  constructor(options: BlobKeptPackageMirrorOptions) {
    const parsed = parsePackageStorage(options.connectionString);
    if (!parsed.ok) throw new RouterError('INVALID_CONFIGURATION', `The package storage connection string ${parsed.problem}.`);
    const { account } = parsed;
    this.#container = new BlobServiceClient(account.blobEndpoint, new StorageSharedKeyCredential(account.accountName, account.accountKey)).getContainerClient(options.container);
    this.#accountName = account.accountName;
    this.#prefix = `kept/${options.routerId}/`;
    this.#logger = options.logger;
  }

  async put(sha256: string, dir: string): Promise<void> {
    const name = this.#blobName(sha256);
    await this.#storage(`store the kept package ${name}`, async () => {
      await this.#ensureContainer();
      const blob = this.#container.getBlockBlobClient(name);
      if (await blob.exists()) return;
      const zip = await zipDirectory(dir);
      // A block blob appears whole when its blocks are committed: a reader never sees half a package.
      await blob.uploadStream(zip.stream, uploadBlockBytes, uploadConcurrency, { blobHTTPHeaders: { blobContentType: 'application/zip' } });
      this.#logger.info({ blob: name, files: zip.files }, 'stored a kept package for the other instances');
    });
  }

  async fetch(sha256: string, zipFile: string): Promise<boolean> {
    const name = this.#blobName(sha256);
    return this.#storage(`fetch the kept package ${name}`, async () => {
      try {
        await this.#container.getBlockBlobClient(name).downloadToFile(zipFile);
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) return false;
        throw error;
      }
      this.#logger.info({ blob: name }, 'fetched a kept package another instance stored');
      return true;
    });
  }

  async delete(sha256: string): Promise<void> {
    const name = this.#blobName(sha256);
    await this.#storage(`delete the kept package ${name}`, async () => {
      try {
        if ((await this.#container.getBlobClient(name).deleteIfExists()).succeeded) this.#logger.info({ blob: name }, 'deleted a kept package');
      } catch (error) {
        // No container yet: nothing was ever stored.
        if (error instanceof RestError && error.statusCode === 404) return;
        throw error;
      }
    });
  }

  #blobName(sha256: string): string {
    return `${this.#prefix}${sha256}.zip`;
  }

  #ensureContainer(): Promise<void> {
    this.#containerReady ??= this.#container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.#containerReady = undefined;
        throw error;
      },
    );
    return this.#containerReady;
  }

  /** Unreachable or overloaded storage is STORE_UNAVAILABLE (a release step retries it); refused credentials are a configuration error; a local failure (disk) is INTERNAL. */
  async #storage<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof RouterError) throw error;
      const status = error instanceof RestError ? error.statusCode : undefined;
      const reason = redactSecrets(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));
      const where = `The package storage account "${this.#accountName}" could not ${what}${status === undefined ? '' : ` (HTTP ${status})`}: ${reason}`;
      const options = { cause: redactedError(error), details: { account: this.#accountName, ...(status === undefined ? {} : { status }) } };
      if (!(error instanceof RestError)) throw new RouterError('INTERNAL', where, options);
      if (status === undefined || status >= 500 || status === 408 || status === 429) throw new RouterError('STORE_UNAVAILABLE', where, options);
      if (status === 401 || status === 403) throw new RouterError('INVALID_CONFIGURATION', `${where}; check ROUTER_PACKAGE_STORAGE.`, options);
      throw new RouterError('PLATFORM_OPERATION_FAILED', where, options);
    }
  }
}
