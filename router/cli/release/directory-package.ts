/**
 * What the CLI makes of an app directory before uploading it, the way Azure Functions Core Tools'
 * publish does: a TypeScript app is built; the production dependencies ship — the installed
 * `node_modules` without what npm's lockfile marks dev, or, when nothing is installed but a
 * package-lock.json is there, what `npm ci --omit=dev` installs into a staging copy (the user's
 * directory is not touched).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipDirectory, type DirectoryZip } from '../../../deployer/platform/package/directory-zip.js';
import { resolvePackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { isLocalOnlyPath } from '../../../deployer/platform/package/package-paths.js';
import { unpackPackage } from '../../../deployer/platform/package/package-unpacking.js';
import { devDependencyFilter, type Lockfile } from '../../../deployer/platform/package/production-dependencies.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { buildApp, planBuild, readAppManifest } from './app-build.js';
import { runNpm } from './npm-run.js';
import { statIfExists } from '../../../shared/files/optional-file.js';

export interface PackagedDirectory {
  readonly zip: DirectoryZip;
  /** Removes the staging copy, if one was made; call it once the zip has been read. */
  dispose(): Promise<void>;
}

export async function packageAppDirectory(dir: string, say: (line: string) => void): Promise<PackagedDirectory> {
  const manifest = await readAppManifest(dir);
  if (manifest !== undefined) {
    const plan = await planBuild(dir, manifest);
    if (plan.kind === 'build') say(`building ${dir} (${plan.reason}): npm run build`);
    await buildApp(dir, plan);
  }
  const dependencies = manifest === undefined ? {} : (manifest as { dependencies?: unknown }).dependencies;
  const declaresDependencies = typeof dependencies === 'object' && dependencies !== null && Object.keys(dependencies).length > 0;
  let source = dir;
  let staging: string | undefined;
  if (declaresDependencies && !(await exists(path.join(dir, 'node_modules'))) && (await exists(path.join(dir, 'package-lock.json')))) {
    staging = await mkdtemp(path.join(tmpdir(), 'durable-router-package-'));
    source = path.join(staging, 'app');
    try {
      say(`installing the production dependencies of ${dir} into a staging copy (it has a package-lock.json but no node_modules): npm ci --omit=dev --ignore-scripts`);
      await unpackPackage(dir, source, { limits: resolvePackageLimits(), skip: isLocalOnlyPath });
      await installProductionDependencies(dir, source);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
  const lockfile = (await readLockfile(path.join(source, 'node_modules', '.package-lock.json'))) ?? (await readLockfile(path.join(source, 'package-lock.json')));
  let devFolders = 0;
  const isDev = lockfile === undefined ? undefined : devDependencyFilter(lockfile);
  const skip = isDev === undefined ? undefined : (relative: string): boolean => {
    const dev = isDev(relative);
    if (dev) devFolders++;
    return dev;
  };
  try {
    const zip = await zipDirectory(source, skip === undefined ? {} : { skip });
    if (devFolders > 0) say(`leaving out ${devFolders} dev ${devFolders === 1 ? 'dependency' : 'dependencies'} (npm's lockfile marks ${devFolders === 1 ? 'it' : 'them'} dev)`);
    return { zip, dispose: () => (staging === undefined ? Promise.resolve() : rm(staging, { recursive: true, force: true })) };
  } catch (error) {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function installProductionDependencies(dir: string, stagingApp: string): Promise<void> {
  const run = await runNpm(['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], stagingApp);
  if (run.code === 0) return;
  throw new RouterError(
    'PACKAGE_INSTALL_FAILED',
    `"npm ci --omit=dev --ignore-scripts" failed for ${dir} (exit code ${String(run.code)}): install the app's dependencies yourself ("npm ci" or "npm install" in it), then release again; installed node_modules ship as they are, without dev dependencies. npm's last lines:\n${run.tail.map((line) => `  ${line}`).join('\n')}`,
  );
}

async function readLockfile(file: string): Promise<Lockfile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Lockfile) : undefined;
  } catch (cause) {
    throw new RouterError('PACKAGE_INVALID', `${file} is not valid JSON (${(cause as Error).message}); run npm install to rewrite it.`, { cause });
  }
}

async function exists(file: string): Promise<boolean> {
  return (await statIfExists(file)) !== undefined;
}
