/**
 * Loads an unmodified Azure Functions Node.js v4 app into this process, as the Node worker does:
 * provide `@azure/functions-core`, load every file matching package.json `main` (CommonJS with
 * require, ES modules with import), run the `appStart` hooks, then sort the registered functions
 * into those the local host runs and those with bindings it cannot serve.
 */
import { addHostPackagesAsFallback } from './host-package-fallback.js';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { DurableClientBindingValue } from '../host-contracts.js';
import { triggerTypeOf, unsupportedBindingsOf, type UnsupportedBinding } from './binding-support.js';
import { findEntryPointFiles, hasGlobMagic } from './entry-point-glob.js';
import { createFunctionInvoker, type AppFunctionInvoker, type LoadedFunction } from './function-invoker.js';
import { FunctionsCoreState, installFunctionsCore, type CoreLogSink } from './functions-core-module.js';

export interface AppPackage {
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly main: string;
  readonly type: string | undefined;
}

export interface LoadedApp {
  readonly appDir: string;
  readonly package: AppPackage;
  /** Functions the host runs. */
  readonly functions: readonly LoadedFunction[];
  /** Bindings the host cannot serve; their functions are not loaded. */
  readonly unsupported: readonly UnsupportedBinding[];
  readonly invoker: AppFunctionInvoker;
  /**
   * The worker's own HTTP server, when the app enabled HTTP streams (`app.setup({ enableHttpStream: true })`):
   * the host forwards HTTP trigger requests there instead of handing them over in the invocation.
   */
  readonly workerHttpUri: string | undefined;
  /** Runs the app's `appTerminate` hooks. */
  terminate(): Promise<void>;
}

export interface LoadAppOptions {
  readonly appDir: string;
  /** Reported as the core module's `version` / `hostVersion`. */
  readonly hostVersion: string;
  readonly log: CoreLogSink;
  readonly durableClientBinding: () => DurableClientBindingValue;
}

export async function readAppPackage(appDir: string): Promise<AppPackage> {
  const file = path.join(appDir, 'package.json');
  let json: unknown;
  try {
    json = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RouterError(
      'APP_LOAD_FAILED',
      code === 'ENOENT' ? `No package.json in ${appDir}: is this a Node.js Functions app directory?` : `${file} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const main = record['main'];
  if (typeof main !== 'string' || main.trim() === '') {
    throw new RouterError(
      'APP_LOAD_FAILED',
      `${file} has no "main": the v4 programming model needs it to name the file(s) that register functions (a glob such as "dist/src/functions/*.js" is allowed).`,
    );
  }
  const text = (key: string): string | undefined => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  return { name: text('name'), version: text('version'), main, type: text('type') };
}

function isEsModule(file: string, pkg: AppPackage): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  return pkg.type === 'module';
}

async function loadEntryPoint(file: string, pkg: AppPackage): Promise<void> {
  if (isEsModule(file, pkg)) {
    await import(pathToFileURL(file).href);
  } else {
    createRequire(file)(file);
  }
}

export async function loadApp(options: LoadAppOptions): Promise<LoadedApp> {
  const appDir = path.resolve(options.appDir);
  const pkg = await readAppPackage(appDir);
  const state = new FunctionsCoreState(options.hostVersion, options.log);
  installFunctionsCore(state);
  addHostPackagesAsFallback();

  const files = await findEntryPointFiles(appDir, pkg.main);
  if (files.length === 0) {
    const reason = hasGlobMagic(pkg.main) ? 'no file matches it' : 'that file does not exist';
    const hint = pkg.main.endsWith('.js') && !hasGlobMagic(pkg.main) ? ' (was the app built?)' : '';
    throw new RouterError('APP_LOAD_FAILED', `Cannot load entry point "${pkg.main}" of ${appDir}: ${reason}${hint}.`);
  }
  for (const file of files) {
    const absolute = path.join(appDir, file);
    state.currentEntryPoint = absolute;
    try {
      await loadEntryPoint(absolute, pkg);
    } catch (error) {
      throw new RouterError('APP_LOAD_FAILED', `Loading entry point "${file}" failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    } finally {
      state.currentEntryPoint = undefined;
    }
  }

  const appStartContext = { functionAppDirectory: appDir };
  Object.defineProperty(appStartContext, 'hookData', { enumerable: true, get: () => state.appLevelOnlyHookData });
  Object.defineProperty(appStartContext, 'appHookData', { enumerable: true, get: () => state.appHookData });
  try {
    await state.runHooks('appStart', appStartContext);
  } catch (error) {
    throw new RouterError('APP_LOAD_FAILED', `An appStart hook failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  state.lockIndexing();
  const capabilities = (await state.programmingModel?.getCapabilities?.({})) ?? {};
  const workerHttpUri = typeof capabilities['HttpUri'] === 'string' ? capabilities['HttpUri'] : undefined;

  const functions: LoadedFunction[] = [];
  const unsupported: UnsupportedBinding[] = [];
  for (const registered of state.functions.values()) {
    const { name } = registered.metadata;
    const bindings = registered.metadata.bindings as Record<string, Readonly<Record<string, unknown>>>;
    const triggerType = triggerTypeOf(bindings);
    if (triggerType === undefined) {
      unsupported.push({ function: name, bindingType: '(no single trigger)' });
      continue;
    }
    const descriptor = { name, triggerType, bindings };
    const problems = unsupportedBindingsOf(descriptor);
    if (problems.length > 0) {
      unsupported.push(...problems);
      continue;
    }
    const triggerBindingName = Object.keys(bindings).find((key) => bindings[key]?.['type'] === triggerType) as string;
    functions.push({ ...descriptor, triggerBindingName, registered });
  }

  const invoker = createFunctionInvoker({ state, functions, durableClientBinding: options.durableClientBinding });
  return {
    appDir,
    package: pkg,
    functions,
    unsupported,
    invoker,
    workerHttpUri,
    async terminate() {
      const context = {};
      Object.defineProperty(context, 'hookData', { enumerable: true, get: () => state.appLevelOnlyHookData });
      Object.defineProperty(context, 'appHookData', { enumerable: true, get: () => state.appHookData });
      await state.runHooks('appTerminate', context);
    },
  };
}
