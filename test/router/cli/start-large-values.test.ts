import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { waitForTerminalStatus } from '../../deployer/host/e2e/host-process.js';
import { startStack, type StartedStack } from './fixtures/started-stack.js';

/*
 * Values over Table storage's 64 KiB column limit through the README's stack: the embedded Azurite
 * runs its Blob service on a port kept in the data folder, so an orchestration's ~200 KB input and
 * output complete and read back, also after a restart; apps released when it ran the Table
 * service alone get the Blob endpoint when the stack starts again.
 */
const workDir = path.join(repositoryRoot, '.data', 'test', `start-large-values-${randomUUID()}`);
const durableKey = randomBytes(24).toString('base64url');
const stacks: StartedStack[] = [];
after(async () => {
  for (const stack of stacks) {
    if (stack.child.exitCode === null && stack.child.signalCode === null) stack.child.kill('SIGKILL');
    await stack.exited;
  }
  await rm(workDir, { recursive: true, force: true });
});

const bigValue = (tag: string): { tag: string; lines: string[] } => ({
  tag, lines: Array.from({ length: 3_200 }, (_, i) => `${tag} line ${i}: ${randomBytes(36).toString('base64')}`),
});

async function startedStack(dataDir: string): Promise<StartedStack> {
  await mkdir(dataDir, { recursive: true });
  const backends = path.join(dataDir, 'backends.json');
  await writeFile(backends, JSON.stringify({ backends: [{ version: '1.0.0', appDir: fixtureApp('release-app') }] }));
  const stack = await startStack(['--backends', backends, '--data-dir', path.join(dataDir, '.data')], { ROUTER_DURABLE_KEY: durableKey });
  stacks.push(stack);
  return stack;
}

async function stopped(stack: StartedStack): Promise<void> {
  stack.child.kill('SIGTERM');
  assert.deepEqual(await stack.exited, { code: 0, signal: null }, stack.stderr());
}

async function echoed(stack: StartedStack, id: string, value: unknown): Promise<Awaited<ReturnType<typeof waitForTerminalStatus>>> {
  const started = await request(`${stack.url}/api/echoes/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
  assert.equal(started.statusCode, 202, await started.body.text());
  await started.body.dump();
  return statusOf(stack, id);
}

function statusOf(stack: StartedStack, id: string): ReturnType<typeof waitForTerminalStatus> {
  return waitForTerminalStatus(`${stack.url}/runtime/webhooks/durabletask/instances/${id}?code=${durableKey}`);
}

describe('durable-router start with values over 64 KiB', () => {
  it('completes an orchestration whose input and output are ~200 KB, and shows them again after a restart', async () => {
    const dataDir = path.join(workDir, 'kept');
    const value = bigValue('kept');
    assert.ok(JSON.stringify(value).length > 200_000);
    const first = await startedStack(dataDir);
    const status = await echoed(first, 'big-echo', value);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status).slice(0, 2_000));
    assert.deepEqual(status['input'], value);
    assert.deepEqual(status.output, value);
    await stopped(first);

    const second = await startedStack(dataDir);
    const again = await statusOf(second, 'big-echo');
    assert.equal(again.runtimeStatus, 'Completed');
    assert.deepEqual(again['input'], value);
    assert.deepEqual(again.output, value);
    await stopped(second);
  });

  it('gives apps released while the embedded Azurite ran its Table service alone its Blob service at the next start', async () => {
    const dataDir = path.join(workDir, 'released-before');
    await stopped(await startedStack(dataDir));
    // The data folder as the previous release of durable-router left it: no Blob port, table-only apps.
    await rm(path.join(dataDir, '.data', 'azurite-blob-port'));
    const appsDir = path.join(dataDir, '.data', 'platform', 'apps');
    const apps = await readdir(appsDir);
    assert.equal(apps.length, 1);
    for (const app of apps) {
      const file = path.join(appsDir, app, 'app.json');
      const record = JSON.parse(await readFile(file, 'utf8')) as { settings: Record<string, string> };
      const storage = record.settings['AzureWebJobsStorage']!;
      assert.match(storage, /BlobEndpoint=/);
      record.settings['AzureWebJobsStorage'] = storage.replace(/BlobEndpoint=[^;]*;?/, '');
      await writeFile(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    }

    const stack = await startedStack(dataDir);
    const value = bigValue('before');
    const status = await echoed(stack, 'big-before', value);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status).slice(0, 2_000));
    assert.deepEqual(status.output, value);
    await stopped(stack);
  });
});
