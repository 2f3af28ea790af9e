import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { Disposable, FunctionsCoreState, type CoreLogEntry } from '../../../../deployer/host/app-loading/functions-core-module.js';

const metadata = (name: string) => ({ name, bindings: { t: { type: 'httpTrigger', direction: 'in' as const } } });

describe('the @azure/functions-core state', () => {
  it('registers functions once each, and only while the app loads', () => {
    const state = new FunctionsCoreState('1.0.0', () => undefined);
    const registration = state.registerFunction(metadata('a'), () => undefined);
    assert.throws(() => state.registerFunction(metadata('a'), () => undefined), (e: unknown) => isRouterError(e, 'APP_LOAD_FAILED') && /already been registered/.test(e.message));
    registration.dispose();
    state.registerFunction(metadata('a'), () => undefined);
    state.lockIndexing();
    assert.throws(() => state.registerFunction(metadata('b'), () => undefined), (e: unknown) => isRouterError(e, 'APP_LOAD_FAILED') && /after start-up/.test(e.message));
    assert.deepEqual([...state.functions.keys()], ['a']);
  });

  it('refuses unknown hook names the way the library expects (a system RangeError)', () => {
    const state = new FunctionsCoreState('1.0.0', () => undefined);
    assert.throws(
      () => state.registerHook('sometimes', () => undefined),
      (e: unknown) => e instanceof RangeError && (e as RangeError & { isAzureFunctionsSystemError?: boolean }).isAzureFunctionsSystemError === true,
    );
  });

  it('runs hooks in registration order and stops running a disposed one', async () => {
    const state = new FunctionsCoreState('1.0.0', () => undefined);
    const calls: string[] = [];
    state.registerHook('preInvocation', () => calls.push('first'));
    const second = state.registerHook('preInvocation', async () => {
      calls.push('second');
    });
    await state.runHooks('preInvocation', {});
    second.dispose();
    await state.runHooks('preInvocation', {});
    assert.deepEqual(calls, ['first', 'second', 'first']);
  });

  it('lets log hooks change user logs but not system logs', () => {
    const logs: CoreLogEntry[] = [];
    const state = new FunctionsCoreState('1.0.0', (entry) => logs.push(entry));
    state.registerHook('log', (context) => {
      const log = context as { level: string; message: string; category: string };
      log.level = 'error';
      log.message = `[${log.category}] ${log.message}`;
    });
    state.log({ level: 'information', category: 'user', message: 'hi', functionName: 'f', invocationId: 'i' });
    state.log({ level: 'debug', category: 'system', message: 'internal' });
    assert.deepEqual(logs, [
      { level: 'error', category: 'user', message: '[user] hi', functionName: 'f', invocationId: 'i' },
      { level: 'debug', category: 'system', message: 'internal' },
    ]);
  });

  it('does not recurse when a log hook logs', () => {
    const logs: CoreLogEntry[] = [];
    const state = new FunctionsCoreState('1.0.0', (entry) => logs.push(entry));
    state.registerHook('log', () => state.log({ level: 'information', category: 'user', message: 'from the hook' }));
    state.log({ level: 'information', category: 'user', message: 'original' });
    assert.deepEqual(logs.map((log) => log.message), ['from the hook', 'original']);
  });

  it('exposes the core API with the worker\'s members', () => {
    const api = new FunctionsCoreState('9.9.9', () => undefined).coreApi() as Record<string, unknown>;
    for (const member of ['registerFunction', 'registerHook', 'setProgrammingModel', 'getProgrammingModel', 'log']) {
      assert.equal(typeof api[member], 'function', member);
    }
    assert.equal(api['version'], '9.9.9');
    assert.equal(api['hostVersion'], '9.9.9');
    assert.equal(api['Disposable'], Disposable);
  });

  it('disposes each of Disposable.from once', () => {
    let count = 0;
    const all = Disposable.from({ dispose: () => count++ }, { dispose: () => count++ });
    all.dispose();
    all.dispose();
    assert.equal(count, 2);
  });
});
