/**
 * The engine's storage calls under real faults, through a TCP proxy in front of Azurite: a stalled
 * store makes a start give up within its bounds (503 STORE_UNAVAILABLE) without the instance
 * appearing once the store answers again; a write whose answer is lost is retried and counts once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { devStorageConnectionString } from '../../../../shared/storage/azurite.js';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { readStatus, startEngine, waitForStatus, type EngineHarness, type StatusBody } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';
import { StorageFaultProxy } from '../../../fixtures/storage-fault-proxy.js';
import { newMessageKey, WorkQueue } from '../../../../deployer/host/durable/storage/work-queue.js';

const azurite = await startAzuriteForTests();
const api = '/runtime/webhooks/durabletask';
/** Far beyond the engine's 15 s bound: a request still unanswered then is hanging on the store. */
const hangingMs = 40_000;

describe('storage faults under the durable engine', () => {
  let proxy: StorageFaultProxy;
  let engine: EngineHarness;

  before(async () => {
    proxy = await StorageFaultProxy.start(azurite.port);
    const invoker = new LibraryInvoker()
      .orchestration('chain', function* (context) {
        const a = yield context.df.callActivity('echo', `${String(context.df.getInput())}-1`);
        const b = yield context.df.callActivity('echo', `${String(a)}-2`);
        return b;
      })
      .orchestration('nap', function* (context) {
        const stamped = yield context.df.callActivity('echo', context.df.getInput());
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 300));
        return stamped;
      })
      .activity('echo', (input: unknown) => input);
    engine = await startEngine({
      invoker,
      connectionString: devStorageConnectionString(`http://127.0.0.1:${proxy.port}/devstoreaccount1`),
      durableTask: { hubName: 'FaultHub' },
    });
  });
  after(async () => {
    await proxy?.resume();
    await engine?.stop();
    await proxy?.close();
  });

  const start = (id: string, input: string, orchestrator = 'chain'): Promise<Response> => fetch(`${engine.url}${api}/orchestrators/${orchestrator}/${id}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input), signal: AbortSignal.timeout(hangingMs),
  });

  it('answers a start 503 STORE_UNAVAILABLE while storage is stalled, and the instance does not appear once it answers again', async () => {
    proxy.stall();
    let answer: Response;
    try {
      answer = await start('stalled-start', 'x');
    } finally {
      await proxy.resume();
    }
    assert.equal(answer.status, 503, await answer.clone().text());
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
    assert.equal(answer.headers.get('retry-after'), '5');

    // Every write held up in the stall has now reached the store: the row it created must go again.
    const deadline = Date.now() + 20_000;
    while ((await readStatus(engine.url, 'stalled-start')).status !== 404) {
      if (Date.now() > deadline) assert.fail('the start that was answered 503 created its instance once storage answered again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const retried = await start('stalled-start', 'again');
    assert.equal(retried.status, 202, await retried.text());
    assert.equal((await waitForStatus(engine.url, 'stalled-start')).output, 'again-1-2');
  });

  it('lets a client retry a start answered 503 whose row landed late, before the engine removed it', async () => {
    proxy.stall();
    let answer: Response;
    try {
      answer = await start('late-retry', 'first');
    } finally {
      // The engine's removal of the late row must not win the race this test is about.
      proxy.resetWhen((request) => request.startsWith('DELETE ') && request.includes("PartitionKey='late-retry'"));
      await proxy.resume();
    }
    assert.equal(answer.status, 503, await answer.clone().text());
    const instances = createTableClient(azurite.connectionString, 'FaultHubInstances');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await instances.getEntity<{ RuntimeStatus?: string }>('late-retry', '').catch(() => undefined);
      if (row?.RuntimeStatus === 'Pending') break;
      if (Date.now() > deadline) assert.fail('the stalled start\'s row never reached the store');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      const retried = await start('late-retry', 'second');
      assert.equal(retried.status, 202, await retried.text());
    } finally {
      proxy.resetWhen(undefined);
    }
    assert.equal((await waitForStatus(engine.url, 'late-retry')).output, 'second-1-2');
  });

  it('does not run a start handed over through the work table whose Pending row is gone (a start answered as failed whose message landed late)', async () => {
    const work = WorkQueue.open(azurite.connectionString, 'FaultHubWork', 'FaultHub');
    await work.put([{ instanceId: 'late-handover', key: newMessageKey(), body: { kind: 'start', executionId: 'gone-execution', name: 'chain', input: '"x"', createdTime: new Date().toISOString() } }]);
    const rows = createTableClient(azurite.connectionString, 'FaultHubWork');
    const deadline = Date.now() + 20_000;
    for (;;) {
      let left = 0;
      for await (const row of rows.listEntities({ queryOptions: { filter: "PartitionKey eq 'late-handover'" } })) if (row.rowKey !== undefined) left++;
      if (left === 0) break;
      if (Date.now() > deadline) assert.fail('the owner never took the handed-over start from the work table');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await readStatus(engine.url, 'late-handover')).status, 404, 'a start whose Pending row was removed ran');
  });

  it('retries a start whose answer was lost, and finds its own row instead of answering 409', async () => {
    const lost = proxy.loseAnswerTo(/^POST \/devstoreaccount1\/FaultHubInstances /);
    const answer = await start('lost-create', 'y');
    await lost;
    assert.equal(answer.status, 202, await answer.clone().text());
    assert.equal((await waitForStatus(engine.url, 'lost-create')).output, 'y-1-2');
  });

  it('retries a checkpoint whose answer was lost, and writes each event once', async () => {
    const lost = proxy.loseAnswerTo(/^POST \/devstoreaccount1\/\$batch /);
    const answer = await start('lost-checkpoint', 'z');
    assert.equal(answer.status, 202, await answer.clone().text());
    await lost;
    const status = await waitForStatus(engine.url, 'lost-checkpoint', undefined, hangingMs);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 'z-1-2');
    const history = createTableClient(azurite.connectionString, 'FaultHubHistory');
    const types: string[] = [];
    for await (const row of history.listEntities<{ EventType?: string }>({ queryOptions: { filter: "PartitionKey eq 'lost-checkpoint'" } })) {
      if (row.EventType !== undefined) types.push(row.EventType);
    }
    assert.equal(types.filter((type) => type === 'TaskCompleted').length, 2, types.join(','));
    assert.equal(types.filter((type) => type === 'ExecutionStarted').length, 1, types.join(','));
  });

  /** Stalls the store under the checkpoint that writes `eventType` beyond the engine's 15 s bound; it lands once the store answers again. */
  async function napThroughLateCheckpoint(id: string, input: string, eventType: string): Promise<StatusBody> {
    proxy.stallWhen((request) => request.includes('$batch') && request.includes(eventType));
    const answer = await start(id, input, 'nap');
    assert.equal(answer.status, 202, await answer.clone().text());
    await proxy.stallBegan;
    await new Promise((resolve) => setTimeout(resolve, 17_000));
    await proxy.resume();
    return waitForStatus(engine.url, id, undefined, hangingMs);
  }

  it('fires the timer of a checkpoint given up on that the stalled store applied later', async () => {
    const status = await napThroughLateCheckpoint('late-timer', 'n', 'TimerCreated');
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 'n');
  });

  it('shows an instance completed whose completing checkpoint the stalled store applied after it was given up on', async () => {
    const status = await napThroughLateCheckpoint('late-completion', 'c', 'ExecutionCompleted');
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 'c');
  });
});
