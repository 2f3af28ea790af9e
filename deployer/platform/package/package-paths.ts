/**
 * Which paths may be part of an app package, whatever form it arrives in (a zip entry name, or a
 * file found walking a directory). A package is extracted or copied under a directory of the
 * platform's, so a path that could land outside it (absolute, drive-relative, `..`, a backslash
 * that Windows reads as a separator) or that the file system would misread is refused. Pure.
 */

export type PackagePath =
  | { readonly ok: true; readonly path: string; readonly isDirectory: boolean }
  | { readonly ok: false; readonly problem: string };

const maxPathLength = 1024;
const maxSegmentBytes = 255;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const controlCharacters = /[\u0000-\u001f\u007f]/;

/**
 * Normalises a package path written with `/` separators ("dist/index.js", "dist/" for a
 * directory): drops `.` segments, refuses everything that could escape or be ambiguous. The root
 * itself ("./") comes back as the directory "".
 */
export function normalizePackagePath(name: string): PackagePath {
  if (name === '') return refused('an empty path');
  if (controlCharacters.test(name)) return refused('a path with control characters');
  if (name.includes('\\')) return refused('a path with a backslash (use "/" between folders)');
  if (name.startsWith('/')) return refused('an absolute path');
  if (/^[A-Za-z]:/.test(name)) return refused('a path with a drive letter');
  if (name.length > maxPathLength) return refused(`a path longer than ${maxPathLength} characters`);
  const isDirectory = name.endsWith('/');
  const segments = (isDirectory ? name.slice(0, -1) : name).split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '..') return refused('a path that climbs out with ".."');
    if (segment === '') return refused('a path with an empty folder name ("//")');
    if (segment === '.') continue;
    if (Buffer.byteLength(segment, 'utf8') > maxSegmentBytes) return refused(`a file or folder name longer than ${maxSegmentBytes} bytes`);
    kept.push(segment);
  }
  if (kept.length === 0) return isDirectory ? { ok: true, path: '', isDirectory } : refused('a file path that names the package root itself');
  return { ok: true, path: kept.join('/'), isDirectory };
}

function refused(what: string): PackagePath {
  return { ok: false, problem: `${what} is not allowed in a package` };
}

/**
 * What never belongs in a deployed app: local development state (Azure ignores local.settings.json
 * too), and npm's `node_modules/.bin` folders of command links, which an app does not run and a
 * package may not hold (links are refused). The rest of `node_modules` is the app's: it ships.
 */
export function isLocalOnlyPath(path: string): boolean {
  const segments = path.split('/');
  const [first] = segments;
  if (first === '.git' || first === '.data' || path === 'local.settings.json') return true;
  const bin = segments.indexOf('.bin');
  return bin > 0 && segments[bin - 1] === 'node_modules';
}

export type ZipEntryKind = 'file' | 'directory' | 'symlink' | 'other';

const unixHost = 3;
const fileTypeMask = 0o170000;
const fileTypes: Readonly<Record<number, ZipEntryKind>> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
};
const dosDirectoryAttribute = 0x10;

/**
 * What a zip entry is, from the attributes its creator wrote: a Unix creator keeps the file mode
 * (and so symlinks) in the upper 16 bits of the external attributes; otherwise only the DOS
 * directory bit and the trailing "/" say anything.
 */
export function zipEntryKind(entry: { readonly fileName: string; readonly versionMadeBy: number; readonly externalFileAttributes: number }): ZipEntryKind {
  const nameSaysDirectory = entry.fileName.endsWith('/');
  if (entry.versionMadeBy >>> 8 === unixHost) {
    const type = (entry.externalFileAttributes >>> 16) & fileTypeMask;
    if (type !== 0) return fileTypes[type] ?? 'other';
  } else if ((entry.externalFileAttributes & dosDirectoryAttribute) !== 0) {
    return 'directory';
  }
  return nameSaysDirectory ? 'directory' : 'file';
}

/** Whether a Unix creator marked the file executable (kept so that bundled scripts still run). */
export function zipEntryIsExecutable(entry: { readonly versionMadeBy: number; readonly externalFileAttributes: number }): boolean {
  return entry.versionMadeBy >>> 8 === unixHost && ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
}
