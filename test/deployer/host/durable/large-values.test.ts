/**
 * Values over Table storage's 64 KiB column limit go to the task hub's `{hub}-largemessages`
 * blob container (gzipped), as DurableTask.AzureStorage stores them, and are read back
 * transparently: inputs, outputs, custom status, raised events and activity results.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { createTableClient } from '../../../../shared/storage/table-client-factory.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { post, readStatus, startEngine, startOrchestration, waitForStatus, type EngineHarness } from './fixtures/engine-harness.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const azurite = await startAzuriteForTests({ blob: true });
const api = '/runtime/webhooks/durabletask';
const big = (tag: string): string => `${tag}:${'x'.repeat(80_000)}`;

describe('large values in blobs', () => {
  let engine: EngineHarness;
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bighub-largemessages');
  const blobsOf = async (instanceId: string): Promise<string[]> => {
    const names: string[] = [];
    if (!(await container.exists())) return names;
    for await (const blob of container.listBlobsFlat({ prefix: `${instanceId}/` })) names.push(blob.name);
    return names;
  };

  before(async () => {
    const invoker = new LibraryInvoker()
      .orchestration('big', function* (context) {
        const input = context.df.getInput() as string;
        context.df.setCustomStatus(big('status'));
        const result = (yield context.df.callActivity('grow', input)) as string;
        const event = (yield context.df.waitForExternalEvent('more')) as string;
        return { input: input.length, result: result.slice(0, 12), resultLength: result.length, event: event.slice(0, 6), eventLength: event.length, tail: big('out') };
      })
      .activity('grow', (input: unknown) => `grown:${String(input)}`);
    engine = await startEngine({ invoker, connectionString: azurite.connectionString, durableTask: { hubName: 'BigHub' } });
  });
  after(async () => {
    await engine?.stop();
  });

  it('runs an orchestration whose input, result, event, custom status and output are each over 64 KiB', async () => {
    const id = await startOrchestration(engine.url, 'big', big('in'), 'big-one');
    await waitForStatus(engine.url, id, (s) => s.runtimeStatus === 'Running' && s.customStatus !== null);
    const raised = await post(engine.url, `instances/${id}/raiseEvent/more`, big('event'));
    assert.equal(raised.status, 202, await raised.text());
    const status = await waitForStatus(engine.url, id);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status).slice(0, 2000));
    assert.deepEqual(status.output, {
      input: big('in').length, result: 'grown:in:xxx', resultLength: big('in').length + 6, event: 'event:', eventLength: big('event').length, tail: big('out'),
    });
    assert.equal(status.input, big('in'));
    assert.equal(status.customStatus, big('status'));

    const withHistory = await readStatus(engine.url, id, '?showHistory=true&showHistoryOutput=true');
    assert.ok(JSON.stringify(withHistory.body?.historyEvents).includes(big('event')), 'the raised event is in the history');

    const history = createTableClient(azurite.connectionString, 'BigHubHistory');
    const offloaded: string[] = [];
    for await (const row of history.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${id}'` } })) {
      for (const column of ['Input', 'Result']) {
        if (typeof row[`${column}BlobName`] === 'string') {
          assert.equal(row[column], '');
          offloaded.push(`${String(row['EventType'])}.${column}`);
        }
      }
    }
    assert.deepEqual(offloaded.sort(), ['EventRaised.Input', 'ExecutionCompleted.Result', 'ExecutionStarted.Input', 'TaskCompleted.Result', 'TaskScheduled.Input'].sort());
    const instances = createTableClient(azurite.connectionString, 'BigHubInstances');
    const row = await instances.getEntity<Record<string, unknown>>(id, '');
    for (const column of ['Input', 'Output', 'CustomStatus']) assert.match(String(row[column]), /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/bighub-largemessages\/big-one\//);
    assert.ok((await blobsOf(id)).length >= 8);

    const purged = await fetch(`${engine.url}${api}/instances/${id}`, { method: 'DELETE' });
    assert.equal(purged.status, 200);
    assert.deepEqual(await blobsOf(id), []);
  });
});
