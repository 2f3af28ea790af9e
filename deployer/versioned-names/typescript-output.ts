/**
 * TypeScript apps. The newest version's sources are rewritten and built by the app's own
 * `npm run build` (as `release --package` does); an earlier version is frozen when it moves into
 * its folder, so the migration builds it once, with its own tsconfig.json, from its rewritten
 * sources, and ships that JavaScript beside them.
 */
import path from 'node:path';
import { ts } from 'ts-morph';
import { RouterError } from '../../shared/errors/router-error.js';
import { posix, type VersionSources } from './version-sources.js';

export interface EmittedFile {
  /** Relative to the version's folder, posix. */
  readonly relative: string;
  readonly text: string;
}

export function emitJavaScript(sources: VersionSources): EmittedFile[] {
  // Type errors (a package the previous app's folder does not install, say) must not stop the build of code that ran.
  sources.project.compilerOptions.set({ noEmitOnError: false });
  const result = sources.project.emitToMemory();
  if (result.getEmitSkipped()) {
    throw new RouterError('VERSION_NAMES_UNSAFE', `The TypeScript of ${sources.root} could not be built: ${result.getDiagnostics().map((diagnostic) => diagnostic.getMessageText().toString()).join('; ')}`);
  }
  return result
    .getFiles()
    .filter((file) => !file.filePath.endsWith('.tsbuildinfo'))
    .map((file) => ({ relative: posix(path.relative(sources.root, file.filePath)), text: file.text }))
    .filter((file) => !file.relative.startsWith('..'));
}

/**
 * The app's own build must not compile the earlier versions' sources (they are built already, and
 * would move its output): when its tsconfig.json reaches into `versions/`, `versions` is added to
 * its `exclude`. Returns whether the file was changed (its comments are then lost).
 */
export function keepVersionsOutOfBuild(appRoot: string): boolean {
  const file = path.join(appRoot, 'tsconfig.json');
  const read = ts.readConfigFile(file, (name) => ts.sys.readFile(name));
  if (read.error !== undefined || typeof read.config !== 'object' || read.config === null) {
    throw new RouterError('VERSION_NAMES_INVALID', `${file} cannot be read: ${ts.flattenDiagnosticMessageText(read.error?.messageText ?? 'not an object', ' ')}`);
  }
  const config = read.config as { exclude?: unknown; compilerOptions?: { outDir?: unknown } };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, appRoot);
  const versionsDir = `${path.join(appRoot, 'versions')}${path.sep}`;
  if (!parsed.fileNames.some((name) => path.resolve(name).startsWith(versionsDir))) return false;
  const outDir = typeof config.compilerOptions?.outDir === 'string' ? [config.compilerOptions.outDir] : [];
  // An explicit exclude replaces TypeScript's default one, so that one is kept.
  const exclude = Array.isArray(config.exclude) ? config.exclude.filter((entry): entry is string => typeof entry === 'string') : ['node_modules', ...outDir];
  ts.sys.writeFile(file, `${JSON.stringify({ ...config, exclude: [...exclude, 'versions'] }, null, 2)}\n`);
  return true;
}
