/**
 * The router reads a package path only under its configured package directories. The check is
 * made twice: on the path as written (no `..` climbing out), then on the real path, so that a
 * symbolic link inside a package directory cannot lead outside it either.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';

/** Whether `candidate` is `directory` or inside it; both absolute. Pure. */
export function isWithinDirectory(directory: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(directory), path.resolve(candidate));
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** The first reason the router may not read `requested` judging by its text alone, or undefined. Pure. */
export function packagePathProblem(requested: string, packageDirectories: readonly string[]): string | undefined {
  if (!path.isAbsolute(requested)) return 'it is not an absolute path';
  if (requested.includes('\u0000')) return 'it contains a NUL character';
  if (packageDirectories.length === 0) return 'this router reads no package directories (upload the package or give an https URL)';
  const resolved = path.resolve(requested);
  if (!packageDirectories.some((directory) => isWithinDirectory(directory, resolved))) {
    return `it is not under the router's package directories (${packageDirectories.join(', ')})`;
  }
  return undefined;
}

/**
 * The real path of a package the router may read, or PACKAGE_NOT_ALLOWED / PACKAGE_INVALID
 * (it does not exist). The package directories themselves may be links (e.g. /tmp on macOS).
 */
export async function resolveAllowedPackagePath(requested: string, packageDirectories: readonly string[]): Promise<string> {
  const problem = packagePathProblem(requested, packageDirectories);
  if (problem !== undefined) throw notAllowed(requested, problem);
  let real: string;
  try {
    real = await realpath(requested);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RouterError('PACKAGE_INVALID', `The package ${requested} does not exist on the router's machine.`);
    throw error;
  }
  const realDirectories = await Promise.all(packageDirectories.map((directory) => realpath(directory).catch(() => undefined)));
  if (!realDirectories.some((directory) => directory !== undefined && isWithinDirectory(directory, real))) {
    throw notAllowed(requested, `it leads, through a symbolic link, to ${real}, outside the package directories`);
  }
  return real;
}

function notAllowed(requested: string, problem: string): RouterError {
  return new RouterError('PACKAGE_NOT_ALLOWED', `The router may not read the package ${requested}: ${problem}.`, { details: { package: requested } });
}
