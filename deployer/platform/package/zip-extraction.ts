import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { checkDeclaredZipSizes, compressedTooLarge, PackageBudget, type DeclaredZipEntry, type PackageLimits } from './package-limits.js';
import { normalizePackagePath, zipEntryIsExecutable, zipEntryKind } from './package-paths.js';

export interface ExtractedFile {
  /** Relative, with "/" separators. */
  readonly path: string;
  readonly bytes: number;
  /** Hex sha256 of the file's content. */
  readonly sha256: string;
}

export interface ZipExtraction {
  readonly files: readonly ExtractedFile[];
  readonly directories: readonly string[];
}

export interface ExtractZipOptions {
  readonly limits: PackageLimits;
  /** Entries (relative, "/"-separated) not extracted, e.g. local development state. */
  readonly skip?: (relativePath: string) => boolean;
}

/**
 * Extracts an app package zip into `destination`, which must not exist yet, within the limits.
 * Two passes: the central directory is read first, and a zip that breaks a rule — the zip's own
 * size, the number of entries, the sizes and compression ratios it declares (a zip bomb), entries
 * that could escape the destination, symbolic links, special files, encrypted and duplicate
 * entries — is refused before anything is written. Then the entries are inflated, counting the
 * bytes each one actually produces (headers can lie) and stopping at the first byte over. Refusals
 * are PACKAGE_TOO_LARGE or PACKAGE_INVALID; nothing is left behind when extraction fails.
 */
export async function extractZip(zipPath: string, destination: string, options: ExtractZipOptions): Promise<ZipExtraction> {
  const { size } = await stat(zipPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new RouterError('PACKAGE_INVALID', `The package zip ${zipPath} does not exist.`);
    throw error;
  });
  if (size > options.limits.maxCompressedBytes) throw compressedTooLarge(options.limits, size);

  // Sizes are checked here, entry by entry, with messages of our own (yauzl's would only say "too many bytes").
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: false }).catch((error: Error) => {
    throw notAZip(error);
  });
  let created = false;
  try {
    const planned = await readCentralDirectory(zip, options);
    await mkdir(path.dirname(destination), { recursive: true });
    await mkdir(destination);
    created = true;
    const budget = new PackageBudget(options.limits);
    const files: ExtractedFile[] = [];
    const directories = new Set<string>();
    for (const { entry, relative, isDirectory } of planned) {
      if (isDirectory) {
        await mkdir(inside(destination, relative), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST' || error.code === 'ENOTDIR') throw pathClash(relative);
          throw error;
        });
        directories.add(relative);
        continue;
      }
      budget.reserve(relative, entry.uncompressedSize);
      files.push(await extractFile(zip, entry, destination, relative, budget));
    }
    return { files, directories: [...directories] };
  } catch (error) {
    if (created) await rm(destination, { recursive: true, force: true });
    // File system failures (a full disk) are the router's, not the package's: they pass unchanged.
    throw isRouterError(error) || typeof (error as NodeJS.ErrnoException).syscall === 'string' ? error : notAZip(error as Error);
  } finally {
    if (zip.isOpen) zip.close();
  }
}

interface PlannedEntry {
  readonly entry: yauzl.Entry;
  readonly relative: string;
  readonly isDirectory: boolean;
}

/** The first pass: every entry's name, kind and declared sizes checked, nothing inflated or written. */
async function readCentralDirectory(zip: yauzl.ZipFile, options: ExtractZipOptions): Promise<PlannedEntry[]> {
  if (zip.entryCount > options.limits.maxEntries) {
    throw new RouterError('PACKAGE_TOO_LARGE', `The package zip has ${zip.entryCount} entries; this router accepts at most ${options.limits.maxEntries}.`, {
      details: { limit: options.limits.maxEntries },
    });
  }
  const planned: PlannedEntry[] = [];
  const declared: DeclaredZipEntry[] = [];
  const seen = new Set<string>();
  for await (const entry of zip.eachEntry()) {
    const name = entry.fileName;
    const normalized = normalizePackagePath(name);
    if (!normalized.ok) throw new RouterError('PACKAGE_INVALID', `The package zip has the entry "${name}": ${normalized.problem}.`);
    const kind = zipEntryKind(entry);
    if (kind === 'symlink') {
      throw new RouterError('PACKAGE_INVALID', `The package zip has a symbolic link, "${name}": links are not allowed in a package.`);
    }
    if (kind === 'other') throw new RouterError('PACKAGE_INVALID', `The package zip has "${name}", which is neither a file nor a folder.`);
    const relative = normalized.path;
    if (relative === '' || options.skip?.(relative)) continue;
    if (entry.isEncrypted()) throw new RouterError('PACKAGE_INVALID', `The package zip's entry "${name}" is encrypted; send an unencrypted zip.`);
    if (kind === 'directory' || normalized.isDirectory) {
      planned.push({ entry, relative, isDirectory: true });
      continue;
    }
    if (seen.has(relative)) throw new RouterError('PACKAGE_INVALID', `The package zip has "${relative}" more than once.`);
    seen.add(relative);
    if (!entry.canDecodeFileData()) {
      throw new RouterError('PACKAGE_INVALID', `The package zip's entry "${name}" uses a compression method the router cannot read (${entry.compressionMethod}); use deflate.`);
    }
    if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize) {
      throw new RouterError('PACKAGE_INVALID', `The package zip's entry "${name}" is stored uncompressed, but its headers give it two sizes (${entry.compressedSize} and ${entry.uncompressedSize} bytes).`);
    }
    planned.push({ entry, relative, isDirectory: false });
    declared.push({ path: relative, compressedBytes: entry.compressedSize, uncompressedBytes: entry.uncompressedSize });
  }
  checkDeclaredZipSizes(declared, options.limits);
  return planned;
}

async function extractFile(zip: yauzl.ZipFile, entry: yauzl.Entry, destination: string, relative: string, budget: PackageBudget): Promise<ExtractedFile> {
  const target = inside(destination, relative);
  await mkdir(path.dirname(target), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST' || error.code === 'ENOTDIR') throw pathClash(relative);
    throw error;
  });
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        bytes += chunk.length;
        if (bytes > entry.uncompressedSize) throw sizeLie(relative, entry.uncompressedSize, `more than`);
        budget.addBytes(relative, chunk.length);
        hash.update(chunk);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      callback(bytes < entry.uncompressedSize ? sizeLie(relative, entry.uncompressedSize, `only ${bytes} bytes, not`) : null);
    },
  });
  const input = await zip.openReadStreamPromise(entry);
  // "wx": a file that is already there (a case-insensitive duplicate, a folder) is an error, never overwritten.
  const output = createWriteStream(target, { flags: 'wx', mode: zipEntryIsExecutable(entry) ? 0o755 : 0o644 });
  await pipeline(input, counter, output).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST' || error.code === 'EISDIR' || error.code === 'ENOTDIR') throw pathClash(relative);
    throw error;
  });
  return { path: relative, bytes, sha256: hash.digest('hex') };
}

function sizeLie(relative: string, declared: number, actual: string): RouterError {
  return new RouterError(
    'PACKAGE_INVALID',
    `The package zip's entry "${relative}" inflates to ${actual} the ${declared} bytes its headers declare: the zip is damaged or crafted. Nothing was kept.`,
  );
}

/** The normalised path is already free of ".." and absolute forms; this keeps that true by construction. */
function inside(destination: string, relative: string): string {
  const target = path.join(destination, ...relative.split('/'));
  const back = path.relative(destination, target);
  if (back === '' || back.startsWith('..') || path.isAbsolute(back)) {
    throw new RouterError('PACKAGE_INVALID', `The package entry "${relative}" would land outside the package.`);
  }
  return target;
}

function pathClash(relative: string): RouterError {
  return new RouterError('PACKAGE_INVALID', `The package zip's entry "${relative}" clashes with another entry (a file and a folder by one name, or a duplicate).`);
}

function notAZip(error: Error): RouterError {
  // yauzl refuses unsafe entry names itself, before they reach normalizePackagePath.
  const unsafeName = /^(invalid characters in fileName|absolute path|invalid relative path): (.*)$/.exec(error.message);
  if (unsafeName) {
    return new RouterError('PACKAGE_INVALID', `The package zip has the entry "${unsafeName[2]}", whose path could escape the package (${unsafeName[1]}).`, { cause: error });
  }
  return new RouterError('PACKAGE_INVALID', `The package is not a readable zip: ${error.message.replace(/\.+$/, '')}.`, { cause: error });
}
