/**
 * Runs an app's functions the way the Azure Functions Node worker does, through the programming
 * model the app's `@azure/functions` registered: getInvocationModel → getArguments →
 * preInvocation hooks → invokeFunction → postInvocation hooks → getResponse.
 */
import { randomUUID } from 'node:crypto';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { DurableClientBindingValue, FunctionDescriptor, FunctionInvoker } from '../host-contracts.js';
import { durableTriggerTypes, isDurableClientType } from './binding-support.js';
import type { FunctionsCoreState, RegisteredFunction } from './functions-core-module.js';
import type {
  CoreInvocationContext,
  HookData,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTraceContext,
  RpcTypedData,
} from './functions-core-types.js';
import { fromRpcTypedData, toJsonStringData } from './rpc-typed-data.js';

export interface LoadedFunction extends FunctionDescriptor {
  readonly triggerBindingName: string;
  readonly registered: RegisteredFunction;
}

export interface TriggerInvocation {
  /** Chosen by the caller when something else must carry it (an HTTP stream's request); else a new one. */
  readonly invocationId?: string;
  readonly triggerData: RpcTypedData | undefined;
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  readonly traceContext?: RpcTraceContext;
}

export interface AppFunctionInvoker extends FunctionInvoker {
  /** Runs one function with its trigger's data and answers the worker's invocation response. */
  invoke(functionName: string, invocation: TriggerInvocation): Promise<RpcInvocationResponse>;
}

export interface FunctionInvokerOptions {
  readonly state: FunctionsCoreState;
  readonly functions: readonly LoadedFunction[];
  /** The value of `durableClient` input bindings (the durable engine's). */
  readonly durableClientBinding: () => DurableClientBindingValue;
}

function readOnlyHookData(target: object, name: 'hookData' | 'appHookData' | 'invocationContext', get: () => unknown): void {
  Object.defineProperty(target, name, {
    enumerable: true,
    get,
    set() {
      throw new TypeError(`Cannot assign to read only property '${name}'`);
    },
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

export function createFunctionInvoker(options: FunctionInvokerOptions): AppFunctionInvoker {
  const { state } = options;
  const byName = new Map(options.functions.map((fn) => [fn.name, fn]));

  function find(functionName: string): LoadedFunction {
    const fn = byName.get(functionName);
    if (!fn) {
      throw new RouterError('FUNCTION_NOT_FOUND', `The app has no function named "${functionName}" that the local host can run.`, {
        details: { function: functionName },
      });
    }
    return fn;
  }

  function inputDataFor(fn: LoadedFunction, triggerData: RpcTypedData | undefined): RpcParameterBinding[] {
    const inputData: RpcParameterBinding[] = [{ name: fn.triggerBindingName, data: triggerData }];
    for (const [name, binding] of Object.entries(fn.bindings)) {
      if (binding['direction'] === 'in' && isDurableClientType(binding['type'])) {
        inputData.push({ name, data: toJsonStringData(options.durableClientBinding()) });
      }
    }
    return inputData;
  }

  async function invoke(functionName: string, invocation: TriggerInvocation): Promise<RpcInvocationResponse> {
    const fn = find(functionName);
    const model = state.programmingModel;
    if (!model) throw new RouterError('APP_LOAD_FAILED', 'The app set no programming model (it does not use @azure/functions v4).');

    const invocationId = invocation.invocationId ?? randomUUID();
    const hookData: HookData = {};
    // Logs can happen before getArguments returns the context, so it is looked up when they do.
    const current: { invocationContext?: unknown } = {};
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.name,
        inputData: inputDataFor(fn, invocation.triggerData),
        triggerMetadata: invocation.triggerMetadata ?? {},
        traceContext: invocation.traceContext ?? null,
      },
      metadata: {
        ...fn.registered.metadata,
        ...(fn.registered.entryPoint ? { scriptFile: fn.registered.entryPoint } : {}),
      },
      log(level: RpcLogLevel, category: RpcLogCategory, message: string) {
        state.log({ level, category, message, functionName: fn.name, invocationId }, { hookData, invocationContext: current.invocationContext });
      },
    };

    const invocationModel = await model.getInvocationModel(coreContext);
    const args = await invocationModel.getArguments();
    const invocationContext = args.context;
    current.invocationContext = invocationContext;

    const pre = { inputs: args.inputs, functionCallback: fn.registered.callback };
    readOnlyHookData(pre, 'hookData', () => hookData);
    readOnlyHookData(pre, 'appHookData', () => state.appHookData);
    readOnlyHookData(pre, 'invocationContext', () => invocationContext);
    coreContext.state = 'preInvocationHooks';
    try {
      await state.runHooks('preInvocation', pre);
    } finally {
      coreContext.state = undefined;
    }

    const post: { inputs: unknown[]; result: unknown; error: unknown } = { inputs: pre.inputs, result: null, error: null };
    readOnlyHookData(post, 'hookData', () => hookData);
    readOnlyHookData(post, 'appHookData', () => state.appHookData);
    readOnlyHookData(post, 'invocationContext', () => invocationContext);
    coreContext.state = 'invocation';
    try {
      post.result = await invocationModel.invokeFunction(invocationContext, pre.inputs, pre.functionCallback);
    } catch (error) {
      post.error = error;
    } finally {
      coreContext.state = undefined;
    }

    coreContext.state = 'postInvocationHooks';
    try {
      await state.runHooks('postInvocation', post);
    } finally {
      coreContext.state = undefined;
    }
    if (post.error !== null && post.error !== undefined) throw toError(post.error);

    return invocationModel.getResponse(invocationContext, post.result);
  }

  return {
    list: () => options.functions,
    invoke,
    async invokeDurable(functionName: string, payload: unknown): Promise<unknown> {
      const fn = find(functionName);
      if (!durableTriggerTypes.has(fn.triggerType)) {
        throw new RouterError('FUNCTION_NOT_FOUND', `Function "${functionName}" has a ${fn.triggerType}, not a durable trigger.`, {
          details: { function: functionName },
        });
      }
      const response = await invoke(functionName, { triggerData: toJsonStringData(payload) });
      return fromRpcTypedData(response.returnValue);
    },
  };
}
