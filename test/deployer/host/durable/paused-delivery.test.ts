/**
 * Messages that reach an engine before it starts (a host handed connections serves its API while
 * its engine waits, at start and through a patch deploy's drain window) are in the work table and
 * in memory at once: the engine must apply each of them once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { post, startEngine, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const azurite = await startAzuriteForTests();

const invoker = new LibraryInvoker()
  .orchestration('twoPings', function* (context) {
    const first: unknown = yield context.df.waitForExternalEvent('ping');
    const second: unknown = yield context.df.waitForExternalEvent('ping');
    return [first, second];
  });

describe('a message raised while the engine waits to start', () => {
  it('is applied once, although recovery finds it in the work table too', async () => {
    const durableTask = { hubName: 'PausedHub' };
    const first = await startEngine({ invoker, connectionString: azurite.connectionString, durableTask });
    const id = await startOrchestration(first.url, 'twoPings', undefined, 'paused-1');
    await waitForStatus(first.url, id, (status) => status.runtimeStatus === 'Running');
    await first.stop();

    const second = await startEngine({ invoker, connectionString: azurite.connectionString, durableTask, start: false });
    try {
      const raised = await post(second.url, `instances/${id}/raiseEvent/ping`, 1);
      assert.equal(raised.status, 202, await raised.text());
      await second.engine.start();
      const again = await post(second.url, `instances/${id}/raiseEvent/ping`, 2);
      assert.equal(again.status, 202, await again.text());
      const status = await waitForStatus(second.url, id);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.deepEqual(status.output, [1, 2]);
    } finally {
      await second.stop();
    }
  });
});
