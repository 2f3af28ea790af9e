import type { Stats } from 'node:fs';
import { lstat, opendir, readlink, realpath } from 'node:fs/promises';
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
 * Lists an app directory as a package, in a stable order. A symbolic link that stays inside the
 * package (npm workspaces and `npm link` make them) is followed: its target's content is listed
 * under the link's path. Links that leave the package, dangle or loop are refused together in one
 * PACKAGE_INVALID naming each, as is a special file: the package must be the same wherever it lands.
 */
export async function listPackageDirectory(root: string, options: ListOptions = {}): Promise<PackageDirectoryListing> {
  const rootStat = await lstat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new RouterError('PACKAGE_INVALID', `The package directory ${root} does not exist.`);
    throw error;
  });
  if (!rootStat.isDirectory()) throw new RouterError('PACKAGE_INVALID', `${root} is not a directory.`);
  const realRoot = await realpath(root);
  const files: PackageFile[] = [];
  const directories: string[] = [];
  const badLinks: string[] = [];
  /** `ancestors`: real paths of the folders being visited, to tell a link to one of them (a loop). */
  const visit = async (relativeDir: string, absoluteDir: string, ancestors: readonly string[]): Promise<void> => {
    const names: string[] = [];
    for await (const entry of await opendir(absoluteDir)) names.push(entry.name);
    names.sort();
    for (const name of names) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (options.skip?.(relative)) continue;
      const checked = normalizePackagePath(relative);
      if (!checked.ok) throw new RouterError('PACKAGE_INVALID', `The package has "${relative}": ${checked.problem}.`);
      const absolute = path.join(absoluteDir, name);
      let stat = await lstat(absolute);
      let realDirectory = absolute;
      if (stat.isSymbolicLink()) {
        const target = await followLink(absolute, realRoot, ancestors);
        if (target.problem !== undefined) {
          badLinks.push(`"${relative}" (${target.problem})`);
          continue;
        }
        stat = target.stat;
        realDirectory = target.real;
      } else if (stat.isDirectory()) {
        realDirectory = await realpath(absolute);
      }
      options.budget?.addEntry(relative);
      if (stat.isDirectory()) {
        directories.push(relative);
        await visit(relative, realDirectory, [...ancestors, realDirectory]);
      } else if (stat.isFile()) {
        options.budget?.reserve(relative, stat.size);
        options.budget?.addBytes(relative, stat.size);
        files.push({ path: relative, absolutePath: absolute, bytes: stat.size, executable: (stat.mode & 0o111) !== 0 });
      } else {
        throw new RouterError('PACKAGE_INVALID', `The package has "${relative}", which is neither a file nor a folder (a socket, pipe or device).`);
      }
    }
  };
  await visit('', realRoot, [realRoot]);
  if (badLinks.length > 0) {
    throw new RouterError(
      'PACKAGE_INVALID',
      `The package has symbolic links that do not stay inside it: ${badLinks.join(', ')}. Links inside the package are followed; copy what the others point to into the package, or remove them.`,
      { details: { links: badLinks } },
    );
  }
  return { files, directories };
}

type LinkTarget = { readonly problem: undefined; readonly real: string; readonly stat: Stats } | { readonly problem: string };

async function followLink(link: string, realRoot: string, ancestors: readonly string[]): Promise<LinkTarget> {
  let real: string;
  try {
    real = await realpath(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `it points to ${await readlink(link)}, which does not exist` };
    if (code === 'ELOOP') return { problem: 'it loops' };
    throw error;
  }
  if (!isInside(realRoot, real)) return { problem: `it points outside the package, to ${real}` };
  const stat = await lstat(real);
  if (stat.isDirectory() && ancestors.includes(real)) return { problem: 'it points to a folder it is in: a loop' };
  return { problem: undefined, real, stat };
}

function isInside(directory: string, candidate: string): boolean {
  const relative = path.relative(directory, candidate);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
