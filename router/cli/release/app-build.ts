/**
 * A TypeScript app is released as the JavaScript it builds to, as Azure Functions Core Tools'
 * publish does: when the app has a tsconfig.json, or its package.json `main` names files that do
 * not exist yet, the CLI runs the app's `npm run build` in its directory before packaging it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findEntryPointFiles } from '../../../deployer/host/app-loading/entry-point-glob.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { runNpm } from './npm-run.js';
import { statIfExists } from '../../../shared/files/optional-file.js';

export interface AppManifest {
  readonly main?: unknown;
  readonly scripts?: unknown;
}

export type BuildPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'build'; readonly reason: string }
  | { readonly kind: 'unbuilt'; readonly reason: string };

export async function planBuild(dir: string, manifest: AppManifest): Promise<BuildPlan> {
  const hasTsconfig = await exists(path.join(dir, 'tsconfig.json'));
  const main = typeof manifest.main === 'string' && manifest.main !== '' ? manifest.main : undefined;
  const mainMissing = main !== undefined && (await findEntryPointFiles(dir, main)).length === 0;
  if (!hasTsconfig && !mainMissing) return { kind: 'none' };
  const reason = hasTsconfig ? 'it has a tsconfig.json' : `its package.json "main" (${main}) names no file yet`;
  const scripts = manifest.scripts;
  const hasBuild = typeof scripts === 'object' && scripts !== null && typeof (scripts as Record<string, unknown>)['build'] === 'string';
  if (hasBuild) return { kind: 'build', reason };
  // A TypeScript app built some other way is released as it is, once its entry point exists.
  if (!mainMissing) return { kind: 'none' };
  return { kind: 'unbuilt', reason };
}

/** Runs the app's build; a failing build is PACKAGE_BUILD_FAILED with its last lines. */
export async function buildApp(dir: string, plan: BuildPlan): Promise<void> {
  if (plan.kind === 'none') return;
  if (plan.kind === 'unbuilt') {
    throw new RouterError(
      'PACKAGE_BUILD_FAILED',
      `The app in ${dir} must be built before it is released: ${plan.reason}, and its package.json has no "build" script. Add one (e.g. "build": "tsc") or build it yourself so that "main" names the built files.`,
    );
  }
  const run = await runNpm(['run', 'build'], dir);
  if (run.code !== 0) {
    throw new RouterError(
      'PACKAGE_BUILD_FAILED',
      `"npm run build" failed in ${dir} (exit code ${String(run.code)}); fix the build and release again. Its last lines:\n${run.tail.map((line) => `  ${line}`).join('\n')}`,
    );
  }
}

export async function readAppManifest(dir: string): Promise<AppManifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'package.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AppManifest) : undefined;
  } catch (cause) {
    throw new RouterError('PACKAGE_INVALID', `The package.json in ${dir} is not valid JSON: ${(cause as Error).message}.`, { cause });
  }
}

async function exists(file: string): Promise<boolean> {
  return (await statIfExists(file)) !== undefined;
}
