import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startAzurite } from '../../../shared/storage/azurite.js';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const shared = await startAzuriteForTests();

async function runParent(script: string, kill: boolean): Promise<number> {
  const launcherUrl = new URL('../../../shared/storage/azurite.js', import.meta.url).href;
  const source = `const { startAzurite } = await import(${JSON.stringify(launcherUrl)});
    const azurite = await startAzurite({ inMemory: true });
    console.log(azurite.port); ${script}`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const parentExited = new Promise<number | null>((resolve) => parent.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    void parentExited.then((code) => reject(new Error(`parent exited early with ${code}`)));
  });
  assert.ok(port > 0);
  if (kill) parent.kill('SIGKILL');
  await parentExited;
  return port;
}

describe('startAzurite', () => {
  it('serves the dev account on its port and stops idempotently', async () => {
    const azurite = await startAzurite({ inMemory: true });
    try {
      assert.equal(azurite.tableUrl, `http://127.0.0.1:${azurite.port}/devstoreaccount1`);
      assert.match(azurite.connectionString, new RegExp(`TableEndpoint=${azurite.tableUrl};`));
      const table = createTableClient(azurite.connectionString, 'LauncherCheck');
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 7 });
      assert.equal((await table.getEntity<{ value: number }>('p', 'r')).value, 7);
    } finally {
      await Promise.all([azurite.stop(), azurite.stop()]);
    }
    await azurite.stop();
    assert.equal(await acceptsConnections(azurite.port), false);
  });

  it('runs the Blob service beside the Table service when asked, both in one connection string', async () => {
    const azurite = await startAzurite({ inMemory: true, blob: true });
    try {
      assert.ok(azurite.blobPort !== undefined && azurite.blobPort !== azurite.port);
      assert.equal(azurite.blobUrl, `http://127.0.0.1:${azurite.blobPort}/devstoreaccount1`);
      assert.match(azurite.connectionString, new RegExp(`TableEndpoint=${azurite.tableUrl};BlobEndpoint=${azurite.blobUrl};`));
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('launcher-check');
      await container.create();
      await container.getBlockBlobClient('a.txt').upload('kept', 4);
      assert.equal((await container.getBlobClient('a.txt').downloadToBuffer()).toString(), 'kept');
      const table = createTableClient(azurite.connectionString, 'BlobBeside');
      await table.createTable();
    } finally {
      await azurite.stop();
    }
    assert.equal(await acceptsConnections(azurite.blobPort), false);
    assert.equal(await acceptsConnections(azurite.port), false);
  });

  it('keeps data in a location across restarts', async () => {
    const location = await mkdtemp(join(tmpdir(), 'azurite-test-'));
    after(() => rm(location, { recursive: true, force: true }));
    const dir = join(location, 'nested', 'data');
    const first = await startAzurite({ location: dir, blob: true });
    try {
      const table = createTableClient(first.connectionString, 'Persisted');
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
      const container = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('persisted');
      await container.create();
      await container.getBlockBlobClient('a.txt').upload('kept too', 8);
    } finally {
      await first.stop();
    }
    const second = await startAzurite({ location: dir, blob: true }, { table: first.port, blob: first.blobPort });
    try {
      assert.deepEqual([second.port, second.blobPort], [first.port, first.blobPort]);
      assert.equal(second.connectionString, first.connectionString);
      const entity = await createTableClient(second.connectionString, 'Persisted').getEntity<{ value: string }>('p', 'r');
      assert.equal(entity.value, 'kept');
      const blob = await BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('persisted').getBlobClient('a.txt').downloadToBuffer();
      assert.equal(blob.toString(), 'kept too');
    } finally {
      await second.stop();
    }
  });

  it('fails with Azurite\'s own output when the requested port is taken', async () => {
    await assert.rejects(startAzurite({ inMemory: true }, { table: shared.port }), (error) => {
      assert.ok(isRouterError(error, 'STORE_UNAVAILABLE'));
      assert.match(error.message, new RegExp(`Table service on 127\\.0\\.0\\.1:${shared.port}: Azurite exited during startup`));
      assert.match(error.message, /EADDRINUSE/);
      return true;
    });
    assert.equal(await acceptsConnections(shared.port), true, 'the server already on the port is untouched');
  });

  it('names the Blob service when its port is taken, and leaves the Table service it started stopped', async () => {
    const tablePort = await freePort();
    await assert.rejects(startAzurite({ inMemory: true, blob: true }, { table: tablePort, blob: shared.port }), (error) => {
      assert.ok(isRouterError(error, 'STORE_UNAVAILABLE'));
      assert.match(error.message, new RegExp(`Blob service on 127\\.0\\.0\\.1:${shared.port}: .*EADDRINUSE`, 's'));
      return true;
    });
    assert.equal(await acceptsConnections(tablePort), false);
  });

  it('does not outlive a parent that is killed', async () => {
    const port = await runParent('setInterval(() => {}, 1000);', true);
    assert.equal(await eventually(async () => !(await acceptsConnections(port))), true, 'Azurite still listens after its parent died');
  });

  it('does not keep its parent alive, and stops when the parent exits', async () => {
    const port = await runParent('', false);
    assert.equal(await eventually(async () => !(await acceptsConnections(port))), true, 'Azurite still listens after its parent exited');
  });
});
