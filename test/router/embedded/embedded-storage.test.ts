import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { startEmbeddedStorage } from '../../../router/embedded/embedded-storage.js';

const root = await mkdtemp(path.join(tmpdir(), 'embedded-storage-'));
after(() => rm(root, { recursive: true, force: true }));

function listening(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listening();
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const keptPort = async (dataDir: string, file: string): Promise<number> => Number((await readFile(path.join(dataDir, file), 'utf8')).trim());

describe('the embedded Azurite of a data folder', () => {
  it('runs Table and Blob on ports it keeps, and the same ports at the next start', async () => {
    const dataDir = path.join(root, 'kept');
    const first = await startEmbeddedStorage(dataDir);
    await first.stop();
    assert.equal(await keptPort(dataDir, 'azurite-port'), first.port);
    assert.equal(await keptPort(dataDir, 'azurite-blob-port'), first.blobPort);
    assert.match(first.connectionString, /TableEndpoint=[^;]+;BlobEndpoint=[^;]+;/);
    const second = await startEmbeddedStorage(dataDir);
    await second.stop();
    assert.equal(second.connectionString, first.connectionString);
  });

  it('keeps the Table port of a folder from before the Blob service ran, and adds a Blob port', async () => {
    const dataDir = path.join(root, 'table-only');
    await startEmbeddedStorage(dataDir).then((azurite) => azurite.stop());
    const tablePort = await freePort();
    await writeFile(path.join(dataDir, 'azurite-port'), `${tablePort}\n`);
    await rm(path.join(dataDir, 'azurite-blob-port'));
    const azurite = await startEmbeddedStorage(dataDir);
    await azurite.stop();
    assert.equal(azurite.port, tablePort);
    assert.equal(await keptPort(dataDir, 'azurite-blob-port'), azurite.blobPort);
  });

  it('says which port is taken when the Blob port is, and where it is kept', async () => {
    const dataDir = path.join(root, 'blob-taken');
    const first = await startEmbeddedStorage(dataDir);
    await first.stop();
    const squatter = await listening(first.blobPort);
    after(() => new Promise((resolve) => squatter.close(resolve)));
    await assert.rejects(startEmbeddedStorage(dataDir), (error) => {
      assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
      assert.match(error.message, new RegExp(`listens on port ${first.port} \\(Table\\) and ${first.blobPort} \\(Blob\\)`));
      assert.match(error.message, new RegExp(`Blob service on 127\\.0\\.0\\.1:${first.blobPort}`));
      assert.match(error.message, /Is another durable-router using .*blob-taken\?/);
      return true;
    });
  });
});
