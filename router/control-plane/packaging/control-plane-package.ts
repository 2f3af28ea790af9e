/**
 * The control plane as Azure Functions runs it: one zip (deployable with OneDeploy) holding
 * host.json, a package.json whose `main` is the compiled functions, the compiled code, and the
 * production dependencies it loads. Built from this project's own `dist/` and lockfile, so the
 * artifact that ships is the code the tests ran.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { controlPlaneHostJson, routerVersion } from '../control-plane-app-directory.js';
import { statIfExists } from '../../../shared/files/optional-file.js';

export interface ControlPlanePackageOptions {
  /** The project: its `dist/` (built), `package.json` and `package-lock.json`. */
  readonly projectRoot: string;
  /** Where the zip goes. */
  readonly out: string;
  readonly onProgress?: (message: string) => void;
}

export interface ControlPlanePackage {
  readonly path: string;
  readonly files: number;
  /** Uncompressed. */
  readonly bytes: number;
  readonly zipBytes: number;
}

const execFileAsync = promisify(execFile);
/** The compiled folders the control plane loads; `dist/test` stays out. */
const compiledFolders = ['router', 'shared', 'deployer'] as const;
/** Production dependencies the control plane never loads: Azurite serves only the embedded stack. */
const notLoadedByTheControlPlane = new Set(['azurite']);
export const controlPlaneEntry = 'dist/router/control-plane/functions.js';

export async function buildControlPlanePackage(options: ControlPlanePackageOptions): Promise<ControlPlanePackage> {
  const progress = options.onProgress ?? (() => undefined);
  const root = path.resolve(options.projectRoot);
  const entry = path.join(root, controlPlaneEntry);
  if (!(await exists(entry))) {
    throw new RouterError('PACKAGE_INVALID', `${entry} does not exist: build the project first (npm run build).`);
  }
  const stage = await mkdtemp(path.join(tmpdir(), 'durable-router-control-plane-'));
  try {
    progress('copying the compiled control plane');
    for (const folder of compiledFolders) await copyCompiled(path.join(root, 'dist', folder), path.join(stage, 'dist', folder));
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const dependencies = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([name]) => !notLoadedByTheControlPlane.has(name)));
    await writeFile(path.join(stage, 'host.json'), `${JSON.stringify(controlPlaneHostJson(), null, 2)}\n`);
    await writeFile(path.join(stage, 'package.json'), `${JSON.stringify({
      name: 'durable-router-control-plane',
      version: routerVersion(),
      private: true,
      type: 'module',
      main: controlPlaneEntry,
      engines: { node: '>=20.18.1' },
      dependencies,
    }, null, 2)}\n`);
    await copyFile(path.join(root, 'package-lock.json'), path.join(stage, 'package-lock.json'));
    progress(`installing ${Object.keys(dependencies).length} production dependencies (npm install --omit=dev, from the lockfile)`);
    await npmInstall(stage);
    progress('zipping');
    await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
    const zip = await zipDirectory(stage);
    await pipeline(zip.stream, createWriteStream(options.out));
    return { path: path.resolve(options.out), files: zip.files, bytes: zip.bytes, zipBytes: (await stat(options.out)).size };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function copyCompiled(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) await copyCompiled(source, path.join(to, entry.name));
    else if (entry.isFile() && entry.name.endsWith('.js')) await copyFile(source, path.join(to, entry.name));
  }
}

async function npmInstall(dir: string): Promise<void> {
  // The lockfile pins every version; scripts stay off (none of the dependencies needs one to run).
  const args = ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--no-progress'];
  try {
    await execFileAsync(npmCommand(), args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new RouterError('PACKAGE_INVALID', `npm ${args.join(' ')} failed in the control plane's staging folder:\n${output}`, { cause: error });
  }
}

/** The npm that came with the running Node, so that the package is installed by the Node it targets. */
function npmCommand(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

async function exists(file: string): Promise<boolean> {
  return (await statIfExists(file)) !== undefined;
}
