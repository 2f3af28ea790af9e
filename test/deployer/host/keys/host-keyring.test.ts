import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { HostKeyring } from '../../../../deployer/host/keys/host-keyring.js';
import { ensureHostSecrets, hostSecretsFile, readHostSecrets, writeHostSecrets } from '../../../../deployer/host/keys/host-secrets.js';
import { repositoryRoot } from '../fixture-apps.js';

const workDir = path.join(repositoryRoot, '.data', 'test', `host-keyring-${randomUUID()}`);
after(() => rm(workDir, { recursive: true, force: true }));

function capturedLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  }));
  return { logger, text: () => lines.join('') };
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('HostKeyring', () => {
  it('makes the keys on first start, owner-only, and finds the same ones again', async () => {
    const secretsDir = path.join(workDir, 'first-start');
    const { logger } = capturedLogger();
    const keyring = await HostKeyring.open({ secretsDir, logger });
    keyring.close();
    const { masterKey, functionKeys, systemKeys } = keyring.current;
    assert.match(masterKey, /^[A-Za-z0-9_-]{54}$/);
    assert.deepEqual(Object.keys(functionKeys), ['default']);
    assert.deepEqual(Object.keys(systemKeys), ['durabletask_extension']);
    assert.equal((await stat(hostSecretsFile(secretsDir))).mode & 0o777, 0o600);
    const again = await HostKeyring.open({ secretsDir, logger });
    again.close();
    assert.deepEqual(again.current, keyring.current);
  });

  it('takes up keys written while it runs, without being asked', async () => {
    const secretsDir = path.join(workDir, 'rotation');
    const { logger, text } = capturedLogger();
    const keyring = await HostKeyring.open({ secretsDir, logger, pollMs: 50 });
    try {
      const before = keyring.current;
      const rotated = { ...before, functionKeys: { ...before.functionKeys, default: 'rotated-function-key-0001' } };
      await writeHostSecrets(secretsDir, rotated);
      await waitUntil(() => keyring.current.functionKeys['default'] === 'rotated-function-key-0001', 5_000, 'the rotated key was not taken up');
      assert.deepEqual(keyring.current, rotated);
      assert.match(text(), /The host keys changed/);
      assert.ok(!text().includes('rotated-function-key-0001') && !text().includes(before.masterKey), 'a key value reached the log');
    } finally {
      keyring.close();
    }
  });

  it('keeps its last keys when the file is damaged or gone, and says so without quoting it', async () => {
    const secretsDir = path.join(workDir, 'damaged');
    const { logger, text } = capturedLogger();
    const keyring = await HostKeyring.open({ secretsDir, logger, pollMs: 60_000 });
    try {
      const kept = keyring.current;
      const damaged = `{"masterKey": "${kept.masterKey}", "functionKeys": `;
      await writeFile(hostSecretsFile(secretsDir), damaged);
      await keyring.refresh();
      assert.deepEqual(keyring.current, kept);
      assert.match(text(), /The host keeps its last keys: the keys file cannot be read/);
      await assert.rejects(readHostSecrets(secretsDir), (error: Error) => {
        assert.match(error.message, /cannot be read: it is not JSON\. Delete it to have new keys generated\./);
        assert.ok(!error.message.includes(kept.masterKey.slice(0, 8)), 'the error quotes the file');
        return true;
      });
      await rm(hostSecretsFile(secretsDir));
      await keyring.refresh();
      assert.deepEqual(keyring.current, kept);
      assert.match(text(), /the keys file is gone; a new one is made at the next start/);
      assert.ok(!text().includes(kept.masterKey.slice(0, 8)), 'a key reached the log');
      const remade = await ensureHostSecrets(secretsDir);
      assert.notEqual(remade.masterKey, kept.masterKey);
    } finally {
      keyring.close();
    }
  });
});
