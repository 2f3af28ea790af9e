/**
 * The blob storage behind deployments: the package container (each package uploaded once, as
 * `<appName>/<sha256>.zip`, and handed to OneDeploy as a read-only URL that expires soon) and the
 * deployment containers of Flex apps. Logs name blobs and containers, never a URL with a signature.
 */
import { stat } from 'node:fs/promises';
import { BlobSASPermissions, BlobServiceClient, RestError, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import { RouterError } from '../../../shared/errors/router-error.js';
import { zipDirectory } from '../package/directory-zip.js';
import type { DeploymentPackage } from '../platform.js';
import { packageBlobName, packageBlobPrefix } from './azure-names.js';
import type { PackageStorageAccount } from './package-storage-account.js';
import { redactedError, redactSecrets } from './secret-redaction.js';

/** Long enough for the service to fetch the package at the start of a deployment, and no longer. */
const readUrlLifetimeMs = 30 * 60 * 1000;
/** Tolerates a clock on the service side that runs behind ours. */
const clockSkewMs = 5 * 60 * 1000;
const uploadBlockBytes = 4 * 1024 * 1024;
const uploadConcurrency = 4;

export class PackageStorage {
  readonly #account: PackageStorageAccount;
  readonly #service: BlobServiceClient;
  readonly #packages: ContainerClient;
  readonly #logger: Logger;
  #packageContainerReady: Promise<void> | undefined;

  constructor(account: PackageStorageAccount, container: string, logger: Logger) {
    this.#account = account;
    this.#service = new BlobServiceClient(account.blobEndpoint, new StorageSharedKeyCredential(account.accountName, account.accountKey));
    this.#packages = this.#service.getContainerClient(container);
    this.#logger = logger;
  }

  /** Uploads the package unless this app already has it (same content hash); returns the blob's name. */
  async upload(appName: string, deployment: DeploymentPackage): Promise<string> {
    const blobName = packageBlobName(appName, deployment.sha256);
    const blob = this.#packages.getBlockBlobClient(blobName);
    await this.#storage(`upload the package ${blobName}`, async () => {
      await this.#ensurePackageContainer();
      if (await blob.exists()) {
        this.#logger.info({ app: appName, blob: blobName }, 'the package is already uploaded');
        return;
      }
      const kind = await stat(deployment.path);
      if (kind.isDirectory()) {
        const zip = await zipDirectory(deployment.path);
        await blob.uploadStream(zip.stream, uploadBlockBytes, uploadConcurrency, { blobHTTPHeaders: { blobContentType: 'application/zip' } });
      } else {
        await blob.uploadFile(deployment.path, { blobHTTPHeaders: { blobContentType: 'application/zip' } });
      }
      this.#logger.info({ app: appName, blob: blobName }, 'uploaded a package');
    });
    return blobName;
  }

  /** A read-only URL of the blob, valid for half an hour. Secret: never log it. */
  async readUrl(blobName: string): Promise<string> {
    const now = Date.now();
    return this.#storage(`sign a read-only URL for ${blobName}`, () => this.#packages.getBlobClient(blobName).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      startsOn: new Date(now - clockSkewMs),
      expiresOn: new Date(now + readUrlLifetimeMs),
    }));
  }

  /** Removes every package of the app. */
  async deletePackages(appName: string): Promise<number> {
    return this.#storage(`delete the packages of ${appName}`, async () => {
      let deleted = 0;
      try {
        for await (const item of this.#packages.listBlobsFlat({ prefix: packageBlobPrefix(appName) })) {
          await this.#packages.getBlobClient(item.name).deleteIfExists();
          deleted++;
        }
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) return deleted;
        throw error;
      }
      if (deleted > 0) this.#logger.info({ app: appName, blobs: deleted }, 'deleted the packages of an app');
      return deleted;
    });
  }

  containerUrl(container: string): string {
    return `${this.#account.blobEndpoint}/${container}`;
  }

  async ensureContainer(container: string): Promise<void> {
    await this.#storage(`create the container ${container}`, () => this.#service.getContainerClient(container).createIfNotExists());
  }

  async deleteContainer(container: string): Promise<void> {
    await this.#storage(`delete the container ${container}`, () => this.#service.getContainerClient(container).deleteIfExists());
  }

  #ensurePackageContainer(): Promise<void> {
    this.#packageContainerReady ??= this.#packages.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.#packageContainerReady = undefined;
        throw error;
      },
    );
    return this.#packageContainerReady;
  }

  async #storage<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof RouterError) throw error;
      const status = error instanceof RestError ? error.statusCode : undefined;
      const code = error instanceof RestError ? error.code : undefined;
      const reason = redactSecrets(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));
      throw new RouterError('PLATFORM_OPERATION_FAILED', `The package storage account "${this.#account.accountName}" could not ${what}${status === undefined ? '' : ` (HTTP ${status}${code === undefined ? '' : ` ${code}`})`}: ${reason}`, {
        cause: redactedError(error),
        details: { account: this.#account.accountName, ...(status === undefined ? {} : { status }), ...(code === undefined ? {} : { storageCode: code }) },
      });
    }
  }
}
