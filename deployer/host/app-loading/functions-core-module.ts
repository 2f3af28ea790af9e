/**
 * Provides `@azure/functions-core`, the module the Azure Functions Node worker builds into its
 * process: `@azure/functions` (and so `durable-functions`) registers functions, hooks and its
 * programming model through it. Like the worker, we answer `require('@azure/functions-core')`
 * by intercepting `Module.prototype.require`. Each host process runs exactly one app.
 */
import Module from 'node:module';
import { RouterError } from '../../../shared/errors/router-error.js';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookData,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './functions-core-types.js';

export const functionsCoreModuleName = '@azure/functions-core';

/** The `Disposable` class the core module exports (same contract as the worker's). */
export class Disposable {
  static from(...disposables: { dispose(): unknown }[]): Disposable {
    let pending: { dispose(): unknown }[] | undefined = disposables;
    return new Disposable(() => {
      const current = pending;
      pending = undefined;
      for (const disposable of current ?? []) disposable.dispose();
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return callback?.();
  }
}

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
  /** The entry point file that was loading when the function registered (absolute path). */
  readonly entryPoint: string | undefined;
}

export interface CoreLogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  functionName?: string;
  invocationId?: string;
}

export type CoreLogSink = (entry: CoreLogEntry) => void;

const hookNames: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

function isHookName(name: string): name is HookName {
  return (hookNames as readonly string[]).includes(name);
}

/** What the app registered through the core module, and the hook data the worker keeps per app. */
export class FunctionsCoreState {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = { appStart: [], appTerminate: [], preInvocation: [], postInvocation: [], log: [] };
  readonly appHookData: HookData = {};
  readonly appLevelOnlyHookData: HookData = {};
  programmingModel: ProgrammingModel | undefined;
  currentEntryPoint: string | undefined;
  #indexingLocked = false;
  #runningLogHooks = false;

  constructor(
    readonly version: string,
    private readonly sink: CoreLogSink,
  ) {}

  lockIndexing(): void {
    this.#indexingLocked = true;
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.#indexingLocked) {
      throw new RouterError('APP_LOAD_FAILED', `Function "${metadata?.name}" registered after start-up: functions can only be registered while the app loads.`);
    }
    if (typeof metadata?.name !== 'string' || typeof metadata.bindings !== 'object' || metadata.bindings === null) {
      throw new RouterError('APP_LOAD_FAILED', 'registerFunction needs metadata with a name and bindings.');
    }
    if (typeof callback !== 'function') {
      throw new RouterError('APP_LOAD_FAILED', `Function "${metadata.name}" has no handler.`);
    }
    const id = metadata.functionId ?? metadata.name;
    if (this.functions.has(id)) {
      throw new RouterError('APP_LOAD_FAILED', `A function named "${id}" has already been registered.`);
    }
    this.functions.set(id, { metadata, callback, entryPoint: this.currentEntryPoint });
    return new Disposable(() => {
      if (this.#indexingLocked) {
        throw new RouterError('APP_LOAD_FAILED', `Function "${id}" cannot be disposed after start-up.`);
      }
      this.functions.delete(id);
    });
  }

  registerHook(name: string, callback: HookCallback): Disposable {
    if (!isHookName(name)) {
      // The library tells "hook unknown to this host" from other failures by this error's shape.
      const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & { isAzureFunctionsSystemError: boolean };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    if (typeof callback !== 'function') throw new TypeError(`The "${name}" hook needs a function.`);
    const list = this.hooks[name];
    list.push(callback);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  }

  async runHooks(name: HookName, context: object): Promise<void> {
    for (const callback of [...this.hooks[name]]) {
      await callback(context);
    }
  }

  /**
   * Every log goes through the `log` hooks first (as in the worker); hooks may change the level
   * and message of user logs only.
   */
  log(entry: CoreLogEntry, invocation?: { hookData: HookData; invocationContext: unknown }): void {
    let { level, message } = entry;
    if (this.hooks.log.length > 0 && !this.#runningLogHooks) {
      const context = {
        level,
        message,
        get category() {
          return entry.category;
        },
        hookData: invocation?.hookData ?? {},
        appHookData: this.appHookData,
        invocationContext: invocation?.invocationContext,
      };
      this.#runningLogHooks = true;
      try {
        for (const callback of [...this.hooks.log]) callback(context);
      } finally {
        this.#runningLogHooks = false;
      }
      if (entry.category === 'user') {
        level = context.level;
        message = String(context.message);
      }
    }
    this.sink({ ...entry, level, message });
  }

  /** The object `require('@azure/functions-core')` returns. */
  coreApi(): object {
    return Object.freeze({
      version: this.version,
      hostVersion: this.version,
      registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => this.registerFunction(metadata, callback),
      registerHook: (name: string, callback: HookCallback) => this.registerHook(name, callback),
      setProgrammingModel: (model: ProgrammingModel) => {
        this.programmingModel = model;
      },
      getProgrammingModel: () => this.programmingModel,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => this.log({ level, category, message }),
      Disposable,
    });
  }
}

let installed: FunctionsCoreState | undefined;

/** Makes `require('@azure/functions-core')` return this state's core API, for the rest of the process. */
export function installFunctionsCore(state: FunctionsCoreState): void {
  if (installed) {
    throw new RouterError(
      'APP_LOAD_FAILED',
      'This process already hosts a Functions app: the local host runs one app per process (start another host process for another app).',
    );
  }
  installed = state;
  const api = state.coreApi();
  type RequireFunction = (this: unknown, id: string) => unknown;
  const prototype = Module.prototype as unknown as { require: RequireFunction };
  prototype.require = new Proxy(prototype.require, {
    apply(target, thisArg, args: [string]) {
      return args[0] === functionsCoreModuleName ? api : Reflect.apply(target, thisArg, args);
    },
  });
}
