/**
 * `durable-router host <appDir>`: a developer's tool that, like `func start`, checks no key unless
 * `--require-keys` turns the check on; then it says where the keys file is, never the keys.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readHostSecrets, type HostSecrets } from '../../../deployer/host/keys/host-secrets.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { cliPath } from './fixtures/cli-process.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `host-command-${randomUUID()}`);
after(() => rm(workDir, { recursive: true, force: true }));

interface RunningHostCommand {
  readonly url: string;
  output(): string;
  stop(): Promise<number | null>;
}

async function startHostCommand(args: readonly string[]): Promise<RunningHostCommand> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', AzureWebJobsStorage: azurite.connectionString, LOG_LEVEL: 'debug' };
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'host', fixtureApp('http-app'), '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start within 60 s:\n${output}`)), 60_000);
    const look = (): void => {
      const found = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found && /Ctrl\+C stops it\./.test(output)) {
        clearTimeout(timer);
        resolve(found[1] as string);
      }
    };
    child.stdout!.on('data', look);
    void closed.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (${code}) before it ran:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return closed;
    },
  };
}

describe('durable-router host', () => {
  it('checks no key by default, as func start does', async () => {
    const host = await startHostCommand(['--data-dir', path.join(workDir, 'open')]);
    try {
      assert.match(host.output(), /Keys are not checked \(--require-keys checks them as Azure does\)\./);
      assert.equal((await fetch(`${host.url}/api/query`)).status, 200);
      assert.equal((await fetch(`${host.url}/admin/functions`)).status, 200);
    } finally {
      assert.equal(await host.stop(), 0);
    }
  });

  it('with --require-keys, checks them and says where they are, never what they are', async () => {
    const dataDir = path.join(workDir, 'keyed');
    const host = await startHostCommand(['--data-dir', dataDir, '--require-keys']);
    let keys: HostSecrets | undefined;
    try {
      const file = path.join(dataDir, 'secrets', 'host.json');
      assert.ok(host.output().includes(`the master, function and system keys are in ${file}`), host.output());
      keys = await readHostSecrets(path.join(dataDir, 'secrets'));
      assert.ok(keys);
      assert.equal((await fetch(`${host.url}/api/query`)).status, 401);
      assert.equal((await fetch(`${host.url}/api/query`, { headers: { 'x-functions-key': keys.functionKeys['default'] as string } })).status, 200);
      assert.equal((await fetch(`${host.url}/admin/functions`)).status, 401);
      assert.equal((await fetch(`${host.url}/api/hello`)).status, 200);
    } finally {
      assert.equal(await host.stop(), 0);
    }
    assert.ok(keys);
    for (const key of [keys.masterKey, ...Object.values(keys.functionKeys), ...Object.values(keys.systemKeys)]) {
      assert.ok(!host.output().includes(key), 'a key reached the output');
    }
  });
});
