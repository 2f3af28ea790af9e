/**
 * Package intake: turns what a release names as its package — a path under the router's package
 * directories, an https URL, or a zip uploaded in the request — into a checked app directory in
 * the staging area, with its content hash, ready for `Platform.deploy`. Everything is checked
 * before anything is provisioned: size (zip, files, entries), paths that could escape the package,
 * links, host.json and package.json at the root, package.json's version against the release's, and
 * the dependencies it declares against those it ships.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RouterError } from '../../../shared/errors/router-error.js';
import { parseVersion } from '../../../shared/versions/semantic-version.js';
import { resolvePackageLimits, type PackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { isLocalOnlyPath } from '../../../deployer/platform/package/package-paths.js';
import { packageContentHash, unpackPackage, type UnpackedPackage } from '../../../deployer/platform/package/package-unpacking.js';
import { checkDependenciesShipped } from './package-dependencies.js';
import { checkPackageRoot, type PackageManifest } from './package-manifest.js';
import type { PackageAddressPolicy } from './package-address-policy.js';
import { downloadPackage } from './package-download.js';
import { resolveAllowedPackagePath } from './package-path-policy.js';
import { parsePackageReference, redactUrl } from './package-reference.js';
import { receivePackageUpload } from './package-upload.js';

export interface PackageIntakeOptions {
  /** Folders the router may read packages from by path; none: only URLs and uploads. */
  readonly packageDirectories: readonly string[];
  /** Where checked packages are unpacked, one folder each (e.g. `.data/staging`). */
  readonly stagingDir: string;
  readonly limits?: Partial<PackageLimits>;
  /** Whole-download time limit (default 120 s). */
  readonly downloadTimeoutMs?: number;
  /** PEM certificates trusted for https downloads besides the system's (a private CA). */
  readonly trustedCertificates?: readonly string[];
  /** Hosts package URLs may name (ROUTER_PACKAGE_HOSTS, parsed with parsePackageHosts); none: no URL is downloaded. */
  readonly packageHosts?: readonly string[];
  /** Test only (ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS): listed hosts whose loopback addresses are accepted. */
  readonly loopbackHosts?: readonly string[];
}

export type PackageSource =
  /** A release's `package` string: an absolute path or an https URL. */
  | { readonly kind: 'reference'; readonly reference: string }
  /** A zip in a request body; `declaredBytes` from Content-Length when there is one. */
  | { readonly kind: 'upload'; readonly body: Readable; readonly declaredBytes?: number };

export interface TakenPackage {
  /** The checked app directory: pass it to `Platform.deploy` as `path`. */
  readonly dir: string;
  /** Content hash (see packageContentHash): the same files give the same hash, zipped or not. */
  readonly sha256: string;
  readonly files: number;
  /** Uncompressed bytes of all files. */
  readonly bytes: number;
  readonly manifest: PackageManifest;
  /** Where it came from, fit for logs (a URL's query is hidden). */
  readonly origin: string;
  /** Removes the staging folder. */
  dispose(): Promise<void>;
}

export class PackageIntake {
  readonly #packageDirectories: readonly string[];
  readonly #stagingDir: string;
  readonly #limits: PackageLimits;
  readonly #downloadTimeoutMs: number;
  readonly #trustedCertificates: readonly string[];
  readonly #packageHosts: readonly string[];
  readonly #addressPolicy: PackageAddressPolicy;

  constructor(options: PackageIntakeOptions) {
    for (const directory of options.packageDirectories) {
      if (!path.isAbsolute(directory)) throw new RouterError('INVALID_CONFIGURATION', `The package directory "${directory}" must be an absolute path.`);
    }
    this.#packageDirectories = Object.freeze(options.packageDirectories.map((directory) => path.resolve(directory)));
    this.#stagingDir = path.resolve(options.stagingDir);
    this.#limits = resolvePackageLimits(options.limits);
    this.#downloadTimeoutMs = options.downloadTimeoutMs ?? 120_000;
    this.#trustedCertificates = Object.freeze([...(options.trustedCertificates ?? [])]);
    this.#packageHosts = Object.freeze([...(options.packageHosts ?? [])]);
    this.#addressPolicy = Object.freeze({ loopbackHosts: Object.freeze((options.loopbackHosts ?? []).map((host) => host.toLowerCase())) });
  }

  get limits(): PackageLimits {
    return this.#limits;
  }

  /** Fetches, unpacks and checks a package for the release of `version`; nothing stays behind if it fails. */
  async takeIn(source: PackageSource, version: string): Promise<TakenPackage> {
    parseVersion(version);
    const reference = source.kind === 'reference' ? parsePackageReference(source.reference) : undefined;
    const workDir = path.join(this.#stagingDir, randomUUID());
    await mkdir(workDir, { recursive: true });
    const dir = path.join(workDir, 'package');
    try {
      let origin: string;
      let unpacked: UnpackedPackage;
      if (reference?.kind === 'path') {
        const real = await resolveAllowedPackagePath(reference.path, this.#packageDirectories);
        origin = real;
        unpacked = await this.#unpack(real, dir);
      } else {
        const zip = path.join(workDir, 'package.zip');
        if (reference?.kind === 'url') {
          origin = redactUrl(reference.url);
          await downloadPackage(reference.url, zip, {
            limits: this.#limits,
            timeoutMs: this.#downloadTimeoutMs,
            trustedCertificates: this.#trustedCertificates,
            hosts: this.#packageHosts,
            addressPolicy: this.#addressPolicy,
          });
        } else if (source.kind === 'upload') {
          origin = 'upload';
          await receivePackageUpload(source.body, zip, this.#limits, source.declaredBytes);
        } else {
          throw new RouterError('INTERNAL', 'A package source of an unknown kind reached package intake.');
        }
        unpacked = await this.#unpack(zip, dir);
        await rm(zip, { force: true });
      }
      const paths = unpacked.files.map((file) => file.path);
      const manifest = checkPackageRoot(
        {
          paths,
          hostJson: paths.includes('host.json') ? await readFile(path.join(dir, 'host.json'), 'utf8') : undefined,
          packageJson: paths.includes('package.json') ? await readFile(path.join(dir, 'package.json'), 'utf8') : undefined,
        },
        version,
      );
      checkDependenciesShipped({ declared: manifest.dependencies, paths });
      return {
        dir,
        sha256: packageContentHash(unpacked.files),
        files: unpacked.files.length,
        bytes: unpacked.files.reduce((sum, file) => sum + file.bytes, 0),
        manifest,
        origin,
        dispose: () => rm(workDir, { recursive: true, force: true }),
      };
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  async #unpack(source: string, dir: string): Promise<UnpackedPackage> {
    const sourceStat = await stat(source);
    if (sourceStat.isFile() && !source.toLowerCase().endsWith('.zip')) {
      throw new RouterError('PACKAGE_INVALID', `The package ${source} is a file but not a .zip; give an app directory or a zip of one.`);
    }
    return unpackPackage(source, dir, { limits: this.#limits, skip: isLocalOnlyPath });
  }
}
