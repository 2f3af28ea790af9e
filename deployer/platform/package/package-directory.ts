import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import { normalizePackagePath } from './package-paths.js';
import type { PackageBudget } from './package-limits.js';

export interface PackageFile {
  /** Relative, with "/" separators. */
  readonly path: string;
  readonly absolutePath: string;
  readonly bytes: number;
  readonly executable: boolean;
}

export interface PackageDirectoryListing {
  readonly files: readonly PackageFile[];
  /** Relative folder paths, parents before children (empty folders included). */
  readonly directories: readonly string[];
}

export interface ListOptions {
  /** Paths (relative, "/"-separated) left out with everything under them. */
  readonly skip?: (relativePath: string) => boolean;
  /** Counts entries and declared bytes, so an oversized tree is refused before it is read. */
  readonly budget?: PackageBudget;
}

/**
 * Lists an app directory as a package, in a stable order. A symlink or special file anywhere in it
 * is refused (PACKAGE_INVALID): a link could point outside the package, and Azure's zip deploy
 * would not carry it faithfully anyway.
 */
export async function listPackageDirectory(root: string, options: ListOptions = {}): Promise<PackageDirectoryListing> {
  const rootStat = await lstat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new RouterError('PACKAGE_INVALID', `The package directory ${root} does not exist.`);
    throw error;
  });
  if (!rootStat.isDirectory()) throw new RouterError('PACKAGE_INVALID', `${root} is not a directory.`);
  const files: PackageFile[] = [];
  const directories: string[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    const absoluteDir = path.join(root, ...relativeDir.split('/').filter((part) => part !== ''));
    const names: string[] = [];
    for await (const entry of await opendir(absoluteDir)) names.push(entry.name);
    names.sort();
    for (const name of names) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (options.skip?.(relative)) continue;
      const checked = normalizePackagePath(relative);
      if (!checked.ok) throw new RouterError('PACKAGE_INVALID', `The package has "${relative}": ${checked.problem}.`);
      const absolute = path.join(absoluteDir, name);
      const stat = await lstat(absolute);
      if (stat.isSymbolicLink()) {
        throw new RouterError('PACKAGE_INVALID', `The package has a symbolic link, "${relative}": links are not allowed in a package; copy the file it points to instead.`);
      }
      options.budget?.addEntry(relative);
      if (stat.isDirectory()) {
        directories.push(relative);
        await visit(relative);
      } else if (stat.isFile()) {
        options.budget?.reserve(relative, stat.size);
        options.budget?.addBytes(relative, stat.size);
        files.push({ path: relative, absolutePath: absolute, bytes: stat.size, executable: (stat.mode & 0o111) !== 0 });
      } else {
        throw new RouterError('PACKAGE_INVALID', `The package has "${relative}", which is neither a file nor a folder (a socket, pipe or device).`);
      }
    }
  };
  await visit('');
  return { files, directories };
}
