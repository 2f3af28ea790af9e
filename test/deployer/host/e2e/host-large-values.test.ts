import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureApp } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus } from './host-process.js';

/**
 * `run-local-host <appDir> --data-dir DIR` with no storage configured: its embedded Azurite runs
 * the Blob service too, so an orchestration's ~200 KB input and output complete, and read back
 * after a restart on the same folder (whose Azurite then listens on other ports).
 */
describe('the local host\'s embedded Azurite with values over 64 KiB', () => {
  const dataDirs: string[] = [];
  after(async () => {
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('completes an orchestration whose input and output are ~200 KB, and shows them after a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'host-large-values-'));
    dataDirs.push(dataDir);
    const start = (): ReturnType<typeof startHostProcess> => startHostProcess({
      appDir: fixtureApp('release-app'),
      args: ['--data-dir', dataDir],
      env: { ...baseEnvironment(), TASKHUB_NAME: 'LargeValuesHub', LOG_LEVEL: 'warn' },
    });
    const value = { lines: Array.from({ length: 3_200 }, (_, i) => `big-echo line ${i}: ${randomBytes(36).toString('base64')}`) };
    assert.ok(JSON.stringify(value).length > 200_000);

    const first = await start();
    try {
      const started = await fetch(`${first.listening.url}/api/echoes/big-echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
      assert.equal(started.status, 202, await started.clone().text());
      const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
      const status = await waitForTerminalStatus(statusQueryGetUri);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status).slice(0, 2_000));
      assert.deepEqual(status['input'], value);
      assert.deepEqual(status.output, value);
    } finally {
      assert.equal(await first.stop(), 0, first.stderr());
    }

    const second = await start();
    try {
      const status = await waitForTerminalStatus(`${second.listening.url}/runtime/webhooks/durabletask/instances/big-echo`);
      assert.equal(status.runtimeStatus, 'Completed');
      assert.deepEqual(status['input'], value);
      assert.deepEqual(status.output, value);
    } finally {
      assert.equal(await second.stop(), 0, second.stderr());
    }
  });
});
