/**
 * The built-in HTTP management API (/runtime/webhooks/durabletask) and the durable client of the
 * durable-functions library (`df.getClient`), against the engine and Azurite.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { DurableClient, EntityHandler } from 'durable-functions';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { post, readStatus, startEngine, startOrchestration, waitForStatus, type EngineHarness, type StatusBody } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const require = createRequire(import.meta.url);
const df = require('durable-functions') as typeof import('durable-functions');
const { InvocationContext } = require('@azure/functions') as typeof import('@azure/functions');

const azurite = await startAzuriteForTests();
const api = '/runtime/webhooks/durabletask';

const counter: EntityHandler<number> = (context) => {
  const value = context.df.getState(() => 0) as number;
  switch (context.df.operationName) {
    case 'add':
      context.df.setState(value + (context.df.getInput() as number));
      break;
    case 'get':
      context.df.return(value);
      break;
    case 'forward':
      context.df.signalEntity(new df.EntityId('counter', context.df.getInput() as string), 'add', value);
      break;
    default:
      throw new Error(`unknown operation ${context.df.operationName}`);
  }
};

describe('the durable HTTP API and client', () => {
  let harness: EngineHarness;
  let url: string;
  let client: DurableClient;
  const invoker = new LibraryInvoker()
    .orchestration('waiter', function* (context) {
      const value = yield context.df.waitForExternalEvent('go');
      return { received: value };
    })
    .orchestration('quick', function* (context) {
      return yield context.df.callActivity('echo', context.df.getInput());
    })
    .activity('echo', (input: unknown) => input)
    .entity('counter', counter as EntityHandler<unknown>)
    .orchestration('breakCounter', function* (context) {
      try {
        yield context.df.callEntity(new df.EntityId('counter', 'broken'), 'explode');
        return 'no error';
      } catch (error) {
        return `caught ${(error as Error).constructor.name}`;
      }
    })
    .orchestration('useCounter', function* (context) {
      const entity = new df.EntityId('counter', context.df.getInput() as string);
      context.df.signalEntity(entity, 'add', 5);
      yield context.df.callEntity(entity, 'add', 10);
      return yield context.df.callEntity(entity, 'get');
    });

  before(async () => {
    harness = await startEngine({ invoker, connectionString: azurite.connectionString, durableTask: { hubName: 'ApiHub' } });
    url = harness.url;
    process.env['WEBSITE_HOSTNAME'] = new URL(url).host;
    const input = df.input.durableClient();
    const context = new InvocationContext({ functionName: 'client', options: { extraInputs: [input] }, logHandler: () => undefined });
    context.extraInputs.set(input, harness.engine.clientBinding());
    client = df.getClient(context);
  });
  after(async () => {
    delete process.env['WEBSITE_HOSTNAME'];
    await harness?.stop();
  });

  it('answers a start with 202, Location, Retry-After and the management URLs', async () => {
    const response = await fetch(`${url}${api}/orchestrators/quick/start-shape`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"hi"' });
    assert.equal(response.status, 202);
    const body = (await response.json()) as Record<string, string>;
    assert.equal(body.id, 'start-shape');
    assert.equal(response.headers.get('location'), body.statusQueryGetUri);
    assert.equal(response.headers.get('retry-after'), '10');
    assert.equal(body.statusQueryGetUri, `${url}${api}/instances/start-shape?taskHub=ApiHub&connection=Storage`);
    for (const key of ['sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'restartPostUri', 'suspendPostUri', 'resumePostUri']) {
      assert.ok(body[key]?.startsWith(`${url}${api}/instances/start-shape`), key);
    }
    const status = await waitForStatus(url, 'start-shape');
    assert.equal(status.output, 'hi');
    const again = await fetch(body.statusQueryGetUri as string);
    assert.equal(again.status, 200);
  });

  it('answers 202 with Location while running, 404 for unknown ids, 409 for a running duplicate', async () => {
    await startOrchestration(url, 'waiter', undefined, 'running-one');
    await waitForStatus(url, 'running-one', (s) => s.runtimeStatus === 'Running');
    const running = await fetch(`${url}${api}/instances/running-one`);
    assert.equal(running.status, 202);
    assert.equal(running.headers.get('retry-after'), '5');
    assert.ok(running.headers.get('location')?.endsWith(`${api}/instances/running-one`));
    assert.equal((await readStatus(url, 'never-started')).status, 404);
    const duplicate = await post(url, 'orchestrators/waiter/running-one');
    assert.equal(duplicate.status, 409);
    assert.equal(((await duplicate.json()) as { error: { code: string } }).error.code, 'INSTANCE_EXISTS');
    assert.equal((await post(url, 'orchestrators/noSuchFunction')).status, 400);
  });

  it('shows the history with and without outputs', async () => {
    const id = await startOrchestration(url, 'quick', { n: 1 });
    await waitForStatus(url, id);
    const plain = (await readStatus(url, id, '?showHistory=true')).body as StatusBody;
    assert.deepEqual(plain.historyEvents?.map((event) => event['EventType']), ['ExecutionStarted', 'TaskCompleted', 'ExecutionCompleted']);
    assert.equal(plain.historyEvents?.[1]?.['FunctionName'], 'echo');
    assert.equal(plain.historyEvents?.[1]?.['Result'], undefined);
    const withOutput = (await readStatus(url, id, '?showHistory=true&showHistoryOutput=true&showInput=false')).body as StatusBody;
    assert.deepEqual(withOutput.historyEvents?.[1]?.['Result'], { n: 1 });
    assert.deepEqual(withOutput.historyEvents?.[2]?.['Result'], { n: 1 });
    assert.equal(withOutput.input, null);
    assert.equal((await readStatus(url, id)).body?.historyEvents, undefined);
  });

  it('raises events, terminates, suspends and resumes', async () => {
    await startOrchestration(url, 'waiter', undefined, 'to-terminate');
    await waitForStatus(url, 'to-terminate', (s) => s.runtimeStatus === 'Running');
    assert.equal((await post(url, 'instances/to-terminate/terminate?reason=no%20longer%20needed')).status, 202);
    const terminated = await waitForStatus(url, 'to-terminate');
    assert.equal(terminated.runtimeStatus, 'Terminated');
    assert.equal(terminated.output, 'no longer needed');
    assert.equal((await post(url, 'instances/to-terminate/terminate')).status, 410);
    assert.equal((await post(url, 'instances/nobody/terminate')).status, 404);

    await startOrchestration(url, 'waiter', undefined, 'to-suspend');
    await waitForStatus(url, 'to-suspend', (s) => s.runtimeStatus === 'Running');
    assert.equal((await post(url, 'instances/to-suspend/suspend?reason=hold')).status, 202);
    await waitForStatus(url, 'to-suspend', (s) => s.runtimeStatus === 'Suspended');
    assert.equal((await post(url, 'instances/to-suspend/raiseEvent/go', 'while suspended')).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await readStatus(url, 'to-suspend')).body?.runtimeStatus, 'Suspended');
    assert.equal((await post(url, 'instances/to-suspend/resume?reason=go%20on')).status, 202);
    const resumed = await waitForStatus(url, 'to-suspend');
    assert.deepEqual(resumed.output, { received: 'while suspended' });

    const raise = await fetch(`${url}${api}/instances/to-suspend/raiseEvent/go`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(raise.status, 400);
  });

  it('queries instances with filters, paging and continuation tokens', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 5; i++) await startOrchestration(url, 'quick', i, `paged-${i}`);
    for (let i = 0; i < 5; i++) await waitForStatus(url, `paged-${i}`);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const response = await fetch(`${url}${api}/instances?instanceIdPrefix=paged-&top=2&createdTimeFrom=${before}`, {
        headers: token === '' ? {} : { 'x-ms-continuation-token': token },
      });
      assert.equal(response.status, 200);
      const page = (await response.json()) as StatusBody[];
      assert.ok(page.length <= 2);
      seen.push(...page.map((status) => status.instanceId));
      token = response.headers.get('x-ms-continuation-token') ?? '';
      pages++;
    } while (token !== '' && pages < 10);
    assert.deepEqual(seen.sort(), ['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
    assert.ok(pages >= 3);

    const running = (await (await fetch(`${url}${api}/instances?runtimeStatus=Running,Pending`)).json()) as StatusBody[];
    assert.ok(running.every((status) => ['Running', 'Pending'].includes(status.runtimeStatus)));
    assert.ok(running.some((status) => status.instanceId === 'running-one'));

    const viaClient = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
    assert.ok(viaClient.some((status) => status.instanceId === 'paged-3'));
  });

  it('purges one instance, and finished instances by creation time', async () => {
    const id = await startOrchestration(url, 'quick', 'purge me');
    await waitForStatus(url, id);
    const purged = await fetch(`${url}${api}/instances/${id}`, { method: 'DELETE' });
    assert.equal(purged.status, 200);
    assert.deepEqual(await purged.json(), { instancesDeleted: 1 });
    assert.equal((await readStatus(url, id)).status, 404);
    assert.equal((await fetch(`${url}${api}/instances/${id}`, { method: 'DELETE' })).status, 404);

    const from = new Date().toISOString();
    const a = await startOrchestration(url, 'quick', 'a');
    const b = await startOrchestration(url, 'quick', 'b');
    await waitForStatus(url, a);
    await waitForStatus(url, b);
    assert.equal((await fetch(`${url}${api}/instances`, { method: 'DELETE' })).status, 400);
    const many = await fetch(`${url}${api}/instances?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    assert.equal(many.status, 200);
    assert.deepEqual(await many.json(), { instancesDeleted: 2 });
  });

  it('works with df.getClient: start, wait, raise, status, terminate and purge', async () => {
    const id = await client.startNew('waiter', { instanceId: 'client-driven' });
    assert.equal(id, 'client-driven');
    await waitForStatus(url, id, (s) => s.runtimeStatus === 'Running');
    await client.raiseEvent(id, 'go', { from: 'client' });
    const status = await waitForStatus(url, id);
    assert.deepEqual(status.output, { received: { from: 'client' } });
    const read = await client.getStatus(id, { showHistory: true });
    assert.equal(read.runtimeStatus, df.OrchestrationRuntimeStatus.Completed);
    assert.deepEqual(read.output, { received: { from: 'client' } });

    const other = await client.startNew('waiter');
    await waitForStatus(url, other, (s) => s.runtimeStatus === 'Running');
    await client.suspend(other, 'pause');
    await waitForStatus(url, other, (s) => s.runtimeStatus === 'Suspended');
    await client.resume(other, 'continue');
    await waitForStatus(url, other, (s) => s.runtimeStatus === 'Running');
    await client.terminate(other, 'stop');
    assert.equal((await waitForStatus(url, other)).runtimeStatus, 'Terminated');
    const unfinished = await client.startNew('waiter');
    await waitForStatus(url, unfinished, (s) => s.runtimeStatus === 'Running');
    assert.equal((await client.purgeInstanceHistory(unfinished)).instancesDeleted, 0);
    assert.equal((await readStatus(url, unfinished)).body?.runtimeStatus, 'Running');
    await client.terminate(unfinished, 'done');
    await waitForStatus(url, unfinished);
    assert.deepEqual(await client.purgeInstanceHistory(other), { instancesDeleted: 1 });
    await assert.rejects(client.raiseEvent('nobody-home', 'go', 1), /No instance with ID 'nobody-home' found/);
  });

  it('runs entities called and signalled from orchestrations, the HTTP API and the client', async () => {
    const id = await startOrchestration(url, 'useCounter', 'from-orchestration');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 15);

    const broken = await startOrchestration(url, 'breakCounter');
    assert.equal((await waitForStatus(url, broken)).output, 'caught Error');

    assert.equal((await fetch(`${url}${api}/entities/counter/k1`)).status, 404);
    assert.equal((await post(url, 'entities/counter/k1?op=add', 7)).status, 202);
    const entity = new df.EntityId('counter', 'k1');
    await client.signalEntity(entity, 'add', 3);
    await client.signalEntity(entity, 'forward', 'k2');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const k2 = await client.readEntityState<number>(new df.EntityId('counter', 'k2'));
      if (k2.entityExists && k2.entityState === 10) break;
      assert.ok(Date.now() < deadline, `k2 is ${JSON.stringify(k2)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const k1 = await fetch(`${url}${api}/entities/counter/k1`);
    assert.equal(k1.status, 200);
    assert.equal(await k1.json(), 10);
  });
});
