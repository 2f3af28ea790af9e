import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { loadApp, type LoadedApp } from '../../../../deployer/host/app-loading/app-loader.js';
import type { CoreLogEntry } from '../../../../deployer/host/app-loading/functions-core-module.js';
import { fixtureApp } from '../fixture-apps.js';

/** This file's process hosts the HTTP fixture app (one app per process, as in the host). */
describe('loading an unmodified v4 app', () => {
  const logs: CoreLogEntry[] = [];
  let app: LoadedApp;

  before(async () => {
    process.env['GREETING'] = 'Hi';
    app = await loadApp({
      appDir: fixtureApp('http-app'),
      hostVersion: '0.0.1-test',
      log: (entry) => logs.push(entry),
      durableClientBinding: () => {
        throw new Error('no durable engine in this test');
      },
    });
  });

  it('loads every file matching the package.json main glob', () => {
    const names = app.functions.map((fn) => fn.name);
    for (const name of ['hello', 'item', 'hooked', 'greetAll', 'greet', 'startGreeting']) assert.ok(names.includes(name), name);
    assert.deepEqual(app.package, { name: 'http-fixture-app', version: '2.3.4', main: 'src/functions/*.js', type: undefined });
    assert.equal(app.functions.find((fn) => fn.name === 'greetAll')?.triggerType, 'orchestrationTrigger');
  });

  it('reports unsupported bindings by function and type and does not load those functions', () => {
    assert.deepEqual(app.unsupported, [
      { function: 'queueWorker', bindingType: 'serviceBusTrigger' },
      { function: 'writesBlob', bindingType: 'blob' },
    ]);
    const names = app.functions.map((fn) => fn.name);
    assert.ok(!names.includes('queueWorker') && !names.includes('writesBlob'));
  });

  it('runs an activity through the library and returns its value', async () => {
    assert.equal(await app.invoker.invokeDurable('greet', 'Ann'), 'Hello, Ann!');
  });

  it('runs an orchestrator episode and returns the library\'s orchestrator state', async () => {
    const now = new Date().toISOString();
    const state = (await app.invoker.invokeDurable('greetAll', {
      history: [
        { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: now },
        { EventType: 0, EventId: -1, IsPlayed: false, Timestamp: now, Name: 'greetAll', Input: JSON.stringify(['Bo']) },
      ],
      input: ['Bo'],
      instanceId: 'i-1',
      isReplaying: false,
      parentInstanceId: '',
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
    })) as { isDone: boolean; actions: { functionName: string; actionType: number; input: string }[][] };
    assert.equal(state.isDone, false);
    assert.deepEqual(state.actions, [[{ functionName: 'greet', actionType: 0, input: '"Bo"' }]]);
  });

  it('refuses to run a non-durable or unknown function as durable', async () => {
    await assert.rejects(app.invoker.invokeDurable('hello', {}), (error: unknown) => isRouterError(error, 'FUNCTION_NOT_FOUND'));
    await assert.rejects(app.invoker.invokeDurable('nope', {}), (error: unknown) => isRouterError(error, 'FUNCTION_NOT_FOUND'));
    await assert.rejects(app.invoker.invokeDurable('queueWorker', {}), (error: unknown) => isRouterError(error, 'FUNCTION_NOT_FOUND'));
  });

  it('runs appStart, preInvocation and postInvocation hooks as the worker does', async () => {
    const response = await app.invoker.invoke('hooked', {
      triggerData: { http: { method: 'GET', url: 'http://127.0.0.1/api/hooked', headers: {}, params: {} } },
    });
    const body = JSON.parse(Buffer.from(response.returnValue?.http?.body?.bytes ?? []).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(body, {
      input: { replacedByHook: true },
      appStarted: true,
      postInvocationSaw: 'hooked',
    });
  });

  it('routes context.log to the host log with the function name and invocation id', async () => {
    const response = await app.invoker.invoke('hello', {
      triggerData: { http: { method: 'GET', url: 'http://127.0.0.1/api/hello?name=Lu', headers: {}, params: {} } },
    });
    assert.equal(Buffer.from(response.returnValue?.http?.body?.bytes ?? []).toString('utf8'), 'Hi, Lu!');
    const entry = logs.find((log) => log.category === 'user' && log.message === 'hello called with GET');
    assert.equal(entry?.functionName, 'hello');
    assert.equal(entry?.invocationId, response.invocationId);
  });

  it('propagates a function\'s error', async () => {
    await assert.rejects(
      app.invoker.invoke('fails', { triggerData: { http: { method: 'GET', url: 'http://127.0.0.1/api/fails', headers: {}, params: {} } } }),
      /deliberate failure/,
    );
  });

  it('refuses to load a second app into the same process', async () => {
    await assert.rejects(
      loadApp({ appDir: fixtureApp('http-app'), hostVersion: 'x', log: () => undefined, durableClientBinding: () => { throw new Error('unused'); } }),
      (error: unknown) => isRouterError(error, 'APP_LOAD_FAILED') && /one app per process/.test(error.message),
    );
  });
});
