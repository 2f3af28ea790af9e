import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RouterError } from '../../../shared/errors/router-error.js';
import { listPackageDirectory, type PackageFile } from './package-directory.js';
import { PackageBudget, type PackageLimits } from './package-limits.js';
import { extractZip, type ExtractedFile, type ZipExtraction } from './zip-extraction.js';

export type UnpackedPackage = ZipExtraction;

export interface UnpackOptions {
  readonly limits: PackageLimits;
  /** Paths (relative, "/"-separated) left out with everything under them. */
  readonly skip?: (relativePath: string) => boolean;
}

const copyConcurrency = 8;

/**
 * Puts a package — an app directory or a zip of one — into `destination` (which must not exist
 * yet) as plain files, checked and within limits, with each file's sha256. A failure leaves
 * nothing behind.
 */
export async function unpackPackage(source: string, destination: string, options: UnpackOptions): Promise<UnpackedPackage> {
  const sourceStat = await stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new RouterError('PACKAGE_INVALID', `The package ${source} does not exist.`);
    throw error;
  });
  if (sourceStat.isDirectory()) return copyPackageDirectory(source, destination, options);
  if (sourceStat.isFile()) return extractZip(source, destination, options);
  throw new RouterError('PACKAGE_INVALID', `The package ${source} is neither a directory nor a zip file.`);
}

async function copyPackageDirectory(source: string, destination: string, options: UnpackOptions): Promise<UnpackedPackage> {
  const listing = await listPackageDirectory(source, { budget: new PackageBudget(options.limits), ...(options.skip ? { skip: options.skip } : {}) });
  await mkdir(path.dirname(destination), { recursive: true });
  await mkdir(destination);
  try {
    for (const directory of listing.directories) await mkdir(path.join(destination, ...directory.split('/')), { recursive: true });
    const files: ExtractedFile[] = new Array<ExtractedFile>(listing.files.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < listing.files.length) {
        const index = next++;
        files[index] = await copyFile(listing.files[index]!, destination);
      }
    };
    await Promise.all(Array.from({ length: Math.min(copyConcurrency, listing.files.length) }, worker));
    return { files, directories: listing.directories };
  } catch (error) {
    await rm(destination, { recursive: true, force: true });
    throw error;
  }
}

/** Copies with the size the listing counted as a ceiling: a file that grows while it is read is refused. */
async function copyFile(file: PackageFile, destination: string): Promise<ExtractedFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > file.bytes) {
        callback(new RouterError('PACKAGE_INVALID', `The package file "${file.path}" changed while it was being read; release from files that are not being written.`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const target = path.join(destination, ...file.path.split('/'));
  await pipeline(createReadStream(file.absolutePath), counter, createWriteStream(target, { flags: 'wx', mode: file.executable ? 0o755 : 0o644 }));
  return { path: file.path, bytes, sha256: hash.digest('hex') };
}

/**
 * The identity of a package's content, whatever form it came in: the sha256 of its listing in
 * `sha256sum` form ("<file sha256>  <path>\n", sorted by path), so a directory and a zip of the
 * same files have the same hash. Pure.
 */
export function packageContentHash(files: readonly Pick<ExtractedFile, 'path' | 'sha256'>[]): string {
  const listing = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join('');
  return createHash('sha256').update(listing, 'utf8').digest('hex');
}
