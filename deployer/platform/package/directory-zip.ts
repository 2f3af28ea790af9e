import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { listPackageDirectory } from './package-directory.js';
import { isLocalOnlyPath } from './package-paths.js';

export interface DirectoryZip {
  /** The zip, produced as it is read: files are read one at a time, never all held in memory. */
  readonly stream: Readable;
  readonly files: number;
  /** Uncompressed bytes of the files in it. */
  readonly bytes: number;
}

/** Fixed so that zipping the same files twice gives the same bytes. */
const entryTime = new Date(Date.UTC(2000, 0, 1));

/**
 * Zips an app directory for upload or deployment with its `node_modules` (neither platform installs
 * dependencies: an app runs with what it ships), leaving out `.git`, `.data`, `local.settings.json`
 * and `node_modules/.bin`, and what `skip` names. Links inside the directory are followed; links
 * that leave it are refused (PACKAGE_INVALID), see listPackageDirectory.
 */
export async function zipDirectory(dir: string, options: { readonly skip?: (relativePath: string) => boolean } = {}): Promise<DirectoryZip> {
  const extra = options.skip;
  const listing = await listPackageDirectory(dir, { skip: extra === undefined ? isLocalOnlyPath : (relative) => isLocalOnlyPath(relative) || extra(relative) });
  const zip = new yazl.ZipFile();
  for (const file of listing.files) {
    zip.addFile(file.absolutePath, file.path, { mtime: entryTime, mode: file.executable ? 0o100755 : 0o100644 });
  }
  const holdingFiles = new Set<string>();
  for (const file of listing.files) {
    const parts = file.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) holdingFiles.add(parts.slice(0, depth).join('/'));
  }
  for (const directory of listing.directories) {
    if (!holdingFiles.has(directory)) zip.addEmptyDirectory(directory, { mtime: entryTime });
  }
  zip.end();
  const stream = zip.outputStream as Readable;
  // yazl reports a file it cannot read on the ZipFile, not on its output: surface it on the stream.
  zip.on('error', (error: Error) => stream.destroy(error));
  return { stream, files: listing.files.length, bytes: listing.files.reduce((sum, file) => sum + file.bytes, 0) };
}
