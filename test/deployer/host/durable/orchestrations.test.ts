/**
 * Orchestration patterns end to end: the engine against Azurite, the functions run by the real
 * durable-functions library, driven through the durable HTTP API.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as df from 'durable-functions';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { post, readStatus, startEngine, startOrchestration, waitForStatus, type EngineHarness } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const azurite = await startAzuriteForTests();

describe('durable orchestrations in the engine', () => {
  let harness: EngineHarness;
  let url: string;
  const attempts = new Map<string, number>();
  let httpTarget: ReturnType<typeof createServer>;
  let httpTargetUrl: string;
  let polls = 0;

  const invoker = new LibraryInvoker()
    .orchestration('chain', function* (context) {
      const name = context.df.getInput() as string;
      const a = (yield context.df.callActivity('greet', name)) as string;
      const b = (yield context.df.callActivity('greet', a)) as string;
      return (yield context.df.callActivity('greet', b)) as string;
    })
    .activity('greet', (name: unknown) => `Hello ${String(name)}`)
    .orchestration('fanOut', function* (context) {
      const count = context.df.getInput() as number;
      const tasks = Array.from({ length: count }, (_, i) => context.df.callActivity('square', i));
      const squares = (yield context.df.Task.all(tasks)) as number[];
      return squares.reduce((sum, value) => sum + value, 0);
    })
    .activity('square', (n: unknown) => (n as number) ** 2)
    .orchestration('retrying', function* (context) {
      const options = new df.RetryOptions(50, 3);
      return yield context.df.callActivityWithRetry('flaky', options, context.df.getInput());
    })
    .activity('flaky', (key: unknown) => {
      const { id, failures } = key as { id: string; failures: number };
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (attempt <= failures) throw new Error(`attempt ${attempt} failed`);
      return `succeeded on attempt ${attempt}`;
    })
    .orchestration('catching', function* (context) {
      try {
        yield context.df.callActivity('flaky', { id: context.df.instanceId, failures: 5 });
        return 'no error';
      } catch (error) {
        return `caught: ${(error as Error).message}`;
      }
    })
    .orchestration('timerThenActivity', function* (context) {
      const fireAt = new Date(context.df.currentUtcDateTime.getTime() + 300);
      yield context.df.createTimer(fireAt);
      const late = context.df.currentUtcDateTime.getTime() >= fireAt.getTime();
      return { late, greeting: yield context.df.callActivity('greet', 'timer') };
    })
    .orchestration('approval', function* (context) {
      context.df.setCustomStatus({ stage: 'waiting' });
      const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 20_000));
      const approved = context.df.waitForExternalEvent('approve');
      const winner = yield context.df.Task.any([approved, timeout]);
      if (winner === approved) {
        timeout.cancel();
        context.df.setCustomStatus({ stage: 'approved' });
        return approved.result;
      }
      return 'timed out';
    })
    .orchestration('parent', function* (context) {
      const one = yield context.df.callSubOrchestrator('chain', 'child');
      const two = yield context.df.callSubOrchestrator('chain', 'named', `${context.df.instanceId}-named`);
      return [one, two];
    })
    .orchestration('callsBusyChild', function* (context) {
      try {
        yield context.df.callSubOrchestrator('chain', 'x', 'busy-child');
        return 'started';
      } catch (error) {
        return (error as Error).message;
      }
    })
    .orchestration('parentWithRetry', function* (context) {
      return yield context.df.callSubOrchestratorWithRetry('failingChild', new df.RetryOptions(50, 2), context.df.instanceId);
    })
    .orchestration('failingChild', function* (context) {
      const id = context.df.getInput() as string;
      const attempt = (attempts.get(`child-${id}`) ?? 0) + 1;
      attempts.set(`child-${id}`, attempt);
      yield context.df.callActivity('greet', 'child');
      if (!context.df.isReplaying && attempt === 1) throw new Error('first child attempt fails');
      return `child attempt ${attempt}`;
    })
    .orchestration('counter', function* (context) {
      const count = context.df.getInput() as number;
      yield context.df.callActivity('greet', count);
      if (count < 3) {
        context.df.continueAsNew(count + 1);
        return undefined;
      }
      return `counted to ${count}`;
    })
    .orchestration('version', function* (context) {
      yield context.df.callActivity('greet', 'v');
      return context.df.version ?? null;
    })
    .orchestration('thrower', function* (context) {
      yield context.df.callActivity('greet', 'before');
      throw new Error('the orchestrator broke');
    })
    .orchestration('bigResult', function* (context) {
      return yield context.df.callActivity('huge');
    })
    .activity('huge', () => 'x'.repeat(40_000))
    .orchestration('httpCaller', function* (context) {
      const response = (yield context.df.callHttp({ method: 'GET', url: `${httpTargetUrl}/start` })) as { statusCode: number; content: string };
      return { statusCode: response.statusCode, content: response.content };
    });

  before(async () => {
    httpTarget = createServer((request, response) => {
      if (request.url === '/start') {
        response.writeHead(202, { location: `${httpTargetUrl}/poll`, 'retry-after': '0' });
        response.end();
      } else {
        polls++;
        if (polls < 2) {
          response.writeHead(202, { location: `${httpTargetUrl}/poll`, 'retry-after': '0' });
          response.end();
        } else {
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end('done polling');
        }
      }
    });
    await new Promise<void>((resolve) => httpTarget.listen(0, '127.0.0.1', resolve));
    const address = httpTarget.address();
    httpTargetUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    harness = await startEngine({ invoker, connectionString: azurite.connectionString, durableTask: { hubName: 'PatternsHub', defaultVersion: '1.4' } });
    url = harness.url;
  });

  after(async () => {
    await harness?.stop();
    httpTarget?.closeAllConnections();
    await new Promise((resolve) => httpTarget?.close(resolve));
  });

  it('runs an activity chain and answers status with the extension shape', async () => {
    const id = await startOrchestration(url, 'chain', 'Ada');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 'Hello Hello Hello Ada');
    assert.equal(status.input, 'Ada');
    assert.equal(status.name, 'chain');
    assert.match(status.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(status.customStatus, null);
  });

  it('fans out and in with Task.all', async () => {
    const id = await startOrchestration(url, 'fanOut', 20);
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, Array.from({ length: 20 }, (_, i) => i * i).reduce((a, b) => a + b, 0));
  });

  it('retries a failing activity with host-driven retries until it succeeds', async () => {
    const id = await startOrchestration(url, 'retrying', { id: 'retry-ok', failures: 2 });
    const status = await waitForStatus(url, id);
    assert.equal(status.output, 'succeeded on attempt 3');
    const history = (await readStatus(url, id, '?showHistory=true')).body?.historyEvents ?? [];
    const types = history.map((event) => event['EventType']);
    assert.deepEqual(types, ['ExecutionStarted', 'TaskFailed', 'TimerCreated', 'TimerFired', 'TaskFailed', 'TimerCreated', 'TimerFired', 'TaskCompleted', 'ExecutionCompleted']);
  });

  it('fails the retried task after the last attempt, and the orchestrator can catch it', async () => {
    const id = await startOrchestration(url, 'retrying', { id: 'retry-exhausted', failures: 10 });
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /Activity function 'flaky' failed: attempt 3 failed/);
    assert.equal(attempts.get('retry-exhausted'), 3);

    const caught = await startOrchestration(url, 'catching');
    const caughtStatus = await waitForStatus(url, caught);
    assert.equal(caughtStatus.runtimeStatus, 'Completed');
    assert.match(String(caughtStatus.output), /^caught: Activity function 'flaky' failed: attempt 1 failed/);
  });

  it('waits on durable timers', async () => {
    const id = await startOrchestration(url, 'timerThenActivity');
    const status = await waitForStatus(url, id);
    assert.deepEqual(status.output, { late: true, greeting: 'Hello timer' });
  });

  it('receives external events, with custom status, and races them against a timer', async () => {
    const id = await startOrchestration(url, 'approval');
    const waiting = await waitForStatus(url, id, (s) => JSON.stringify(s.customStatus) === '{"stage":"waiting"}');
    assert.equal(waiting.runtimeStatus, 'Running');
    const raised = await post(url, `instances/${id}/raiseEvent/approve`, { by: 'Grace' });
    assert.equal(raised.status, 202);
    const status = await waitForStatus(url, id);
    assert.deepEqual(status.output, { by: 'Grace' });
    assert.deepEqual(status.customStatus, { stage: 'approved' });
    const late = await post(url, `instances/${id}/raiseEvent/approve`, {});
    assert.equal(late.status, 410);
    const missing = await post(url, 'instances/no-such-instance/raiseEvent/approve', {});
    assert.equal(missing.status, 404);
  });

  it('calls sub-orchestrations with default and explicit instance ids', async () => {
    const id = await startOrchestration(url, 'parent', undefined, 'parent-1');
    const status = await waitForStatus(url, id);
    assert.deepEqual(status.output, ['Hello Hello Hello child', 'Hello Hello Hello named']);
    const named = await readStatus(url, 'parent-1-named');
    assert.equal(named.body?.runtimeStatus, 'Completed');
  });

  it('fails a sub-orchestration call whose instance id is already running', async () => {
    await startOrchestration(url, 'approval', undefined, 'busy-child');
    await waitForStatus(url, 'busy-child', (s) => s.runtimeStatus === 'Running');
    const id = await startOrchestration(url, 'callsBusyChild');
    const status = await waitForStatus(url, id);
    assert.match(String(status.output), /Sub-orchestration 'busy-child' could not start: An orchestration instance with this id is already running/);
    assert.equal((await post(url, 'instances/busy-child/raiseEvent/approve', 'ok')).status, 202);
    assert.equal((await waitForStatus(url, 'busy-child')).output, 'ok');
  });

  it('retries a failing sub-orchestration', async () => {
    const id = await startOrchestration(url, 'parentWithRetry', undefined, 'retry-parent');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 'child attempt 2');
  });

  it('continues as new until done', async () => {
    const id = await startOrchestration(url, 'counter', 0);
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 'counted to 3');
    assert.equal(status.input, 3);
  });

  it('stamps context.df.version from host.json defaultVersion, or from the start request', async () => {
    const id = await startOrchestration(url, 'version');
    assert.equal((await waitForStatus(url, id)).output, '1.4');
    const response = await fetch(`${url}/runtime/webhooks/durabletask/orchestrators/version?version=2.0`, { method: 'POST' });
    const started = (await response.json()) as { id: string };
    assert.equal((await waitForStatus(url, started.id)).output, '2.0');
  });

  it('fails an instance whose orchestrator throws, with the error as output', async () => {
    const id = await startOrchestration(url, 'thrower');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /^Orchestrator function 'thrower' failed: the orchestrator broke/);
  });

  it('fails an instance whose result is too large for Table storage, with a clear error', async () => {
    const id = await startOrchestration(url, 'bigResult');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /too large for Azure Table storage/);
  });

  it('calls HTTP endpoints and follows the 202 polling pattern', async () => {
    const id = await startOrchestration(url, 'httpCaller');
    const status = await waitForStatus(url, id);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { statusCode: 200, content: 'done polling' });
    assert.equal(polls, 2);
  });
});

describe('orchestration versioning', () => {
  let strict: EngineHarness;
  const invoker = new LibraryInvoker()
    .orchestration('versioned', function* (context) {
      yield context.df.callActivity('noop');
      return context.df.version ?? null;
    })
    .activity('noop', () => null);
  before(async () => {
    strict = await startEngine({
      invoker, connectionString: azurite.connectionString,
      durableTask: { hubName: 'StrictHub', defaultVersion: '1.0', versionMatchStrategy: 'Strict', versionFailureStrategy: 'Fail' },
    });
  });
  after(async () => {
    await strict?.stop();
  });

  it('runs instances of its own version and fails others under Strict/Fail', async () => {
    const mine = await startOrchestration(strict.url, 'versioned');
    assert.equal((await waitForStatus(strict.url, mine)).output, '1.0');
    const response = await fetch(`${strict.url}/runtime/webhooks/durabletask/orchestrators/versioned?version=2.0`, { method: 'POST' });
    const other = ((await response.json()) as { id: string }).id;
    const status = await waitForStatus(strict.url, other);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /version "2.0" does not match this app's version "1.0"/);
  });
});
