import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { TableVersionMapStore } from '../../../shared/stores/table-version-map-store.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { largeMap, oneVersion, versionMapStoreContract } from './version-map-store-contract.js';

const azurite = await startAzuriteForTests();
let tables = 0;
const freshTableName = (): string => `VersionMapTest${++tables}`;

versionMapStoreContract('Azure Table storage (Azurite)', async () => {
  const tableName = freshTableName();
  return () => new TableVersionMapStore(azurite.connectionString, { tableName });
});

describe('TableVersionMapStore', () => {
  it('uses DurableRouterVersionMap by default and creates the table on the first write', async () => {
    const store = new TableVersionMapStore(azurite.connectionString);
    await store.write(await store.read(), oneVersion());
    const rows = [];
    for await (const row of createTableClient(azurite.connectionString, 'DurableRouterVersionMap').listEntities()) rows.push(row);
    assert.equal(rows.length, 1, 'the whole map is one row');
  });

  it('splits a large map across properties of one row, keeping every character', async () => {
    const tableName = freshTableName();
    const store = new TableVersionMapStore(azurite.connectionString, { tableName });
    const map = largeMap(400);
    await store.write(await store.read(), map);
    const row = await createTableClient(azurite.connectionString, tableName).getEntity<Record<string, unknown>>('version-map', 'current');
    const chunks = Object.keys(row).filter((key) => /^Json\d+$/.test(key));
    assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`);
    assert.equal(row.Chunks, chunks.length);
    for (const key of chunks) assert.ok((row[key] as string).length <= 32_000, `${key} exceeds 64 KiB`);
    assert.deepEqual((await store.read()).map, map);
  });

  it('refuses a map too large for one entity, changing nothing', async () => {
    const store = new TableVersionMapStore(azurite.connectionString, { tableName: freshTableName() });
    const stored = await store.write(await store.read(), oneVersion());
    await assert.rejects(store.write(stored, largeMap(3_000)), (error) => {
      assert.ok(isRouterError(error, 'INTERNAL'));
      assert.match(error.message, /The version map is too large to store \(\d+ characters; at most 480000/);
      return true;
    });
    assert.deepEqual(await store.read(), stored);
  });

  it('reports a damaged row clearly instead of routing on it', async () => {
    const tableName = freshTableName();
    const client = createTableClient(azurite.connectionString, tableName);
    await client.createTable();
    await client.createEntity({ partitionKey: 'version-map', rowKey: 'current', Format: 1, Chunks: 1, Json0: '{"current":"9.9","versions":[]}' });
    await assert.rejects(new TableVersionMapStore(azurite.connectionString, { tableName }).read(), (error) => {
      assert.ok(isRouterError(error, 'INTERNAL'));
      assert.match(error.message, new RegExp(`table ${tableName} cannot be read: "current" names 9\\.9, which has no entry`));
      return true;
    });
    await client.updateEntity({ partitionKey: 'version-map', rowKey: 'current', Format: 2, Chunks: 1, Json0: '{}' }, 'Replace');
    await assert.rejects(new TableVersionMapStore(azurite.connectionString, { tableName }).read(), /format is 2, this router reads format 1/);
  });

  it('fails with STORE_UNAVAILABLE, keeping the cause, when storage cannot be reached', async () => {
    const unreachable = azurite.connectionString.replace(`:${azurite.port}/`, ':1/');
    const store = new TableVersionMapStore(unreachable, { clientOptions: { retryOptions: { maxRetries: 0 } } });
    await assert.rejects(store.read(), (error) => {
      assert.ok(isRouterError(error, 'STORE_UNAVAILABLE'), String(error));
      assert.equal(error.status, 503);
      assert.ok(error.cause !== undefined);
      assert.ok(!error.message.includes('AccountKey'));
      return true;
    });
    await assert.rejects(store.write({ map: oneVersion(), etag: undefined }, oneVersion()), (error) => isRouterError(error, 'STORE_UNAVAILABLE'));
  });
});
