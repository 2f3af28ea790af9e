import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';

/**
 * What `release --package` names: a URL is passed to the router as a reference (it downloads it);
 * a local directory is zipped and uploaded, a local zip uploaded as it is, so that a pipeline can
 * release to a router on another machine.
 */
export type PackageSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'zip'; readonly path: string };

const schemePattern = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
// A zip starts with a local file header, or is an empty archive (end of central directory only).
const zipSignatures = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])];

/** The router decides which URL schemes it accepts (https only) and says so. */
export function isPackageUrl(argument: string): boolean {
  return schemePattern.test(argument);
}

export async function resolvePackageSource(argument: string, cwd = process.cwd()): Promise<PackageSource> {
  if (argument.trim() === '') throw new RouterError('INVALID_REQUEST', '--package is empty: give an app directory, a zip or an https URL.');
  if (isPackageUrl(argument)) return { kind: 'url', url: argument };
  const resolved = path.resolve(cwd, argument);
  let found;
  try {
    found = await stat(resolved);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RouterError('INVALID_REQUEST', `--package ${argument}: there is no such file or directory (${resolved}).`, { cause });
    throw cause;
  }
  if (found.isDirectory()) return { kind: 'directory', path: resolved };
  if (found.isFile() && (await startsLikeZip(resolved))) return { kind: 'zip', path: resolved };
  throw new RouterError('INVALID_REQUEST', `--package ${argument} is neither a directory nor a zip file: give the app's directory (it is zipped and uploaded), a zip of it, or an https URL.`);
}

async function startsLikeZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && zipSignatures.some((signature) => signature.equals(head));
  } finally {
    await handle.close();
  }
}
