import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { AppKeyStore } from '../../../shared/stores/app-key-store.js';
import { MemoryAppKeyStore } from '../../../shared/stores/memory-app-key-store.js';
import { SecretBox } from '../../../shared/secrets/secret-box.js';
import { TableAppKeyStore } from '../../../shared/stores/table-app-key-store.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests();
const secretsKey = 'app-key-store-tests-secrets-key-0123456789';
const keysOf = (name: string) => ({ function: `${name}-function-key-${randomUUID()}`, durableTask: `${name}-durable-key-${randomUUID()}` });

function describeAppKeyStore(name: string, open: () => AppKeyStore): void {
  describe(`AppKeyStore contract: ${name}`, () => {
    it('keeps, lists and removes every app\'s keys', async () => {
      const store = open();
      assert.deepEqual(await store.readAll(), { keys: new Map(), unreadable: [] });
      const first = keysOf('first');
      const second = keysOf('second');
      await store.put('dr-test-v1-0', first);
      await store.put('dr-test-v1-1', second);
      assert.deepEqual(Object.fromEntries((await open().readAll()).keys), { 'dr-test-v1-0': first, 'dr-test-v1-1': second });
      const rotated = keysOf('rotated');
      await store.put('dr-test-v1-0', rotated);
      await store.remove('dr-test-v1-1');
      await store.remove('dr-test-v1-1');
      assert.deepEqual(Object.fromEntries((await open().readAll()).keys), { 'dr-test-v1-0': rotated });
    });

    it('hands out copies', async () => {
      const store = open();
      const keys = { ...keysOf('copy') };
      await store.put('dr-test-v2-0', keys);
      (keys as { function: string }).function = 'changed-by-the-caller';
      const read = await store.readAll();
      assert.notEqual(read.keys.get('dr-test-v2-0')?.function, 'changed-by-the-caller');
    });
  });
}

describeAppKeyStore('memory', (() => {
  let shared: MemoryAppKeyStore | undefined;
  return () => (shared ??= new MemoryAppKeyStore());
})());

const tableName = () => `Keys${randomUUID().replaceAll('-', '').slice(0, 20)}`;
describeAppKeyStore('table', (() => {
  const name = tableName();
  return () => new TableAppKeyStore(azurite.connectionString, { secretsKey, tableName: name });
})());

describe('TableAppKeyStore', () => {
  it('keeps the keys sealed: the stored row holds neither key, and another secrets key cannot open it', async () => {
    const name = tableName();
    const keys = keysOf('sealed');
    await new TableAppKeyStore(azurite.connectionString, { secretsKey, tableName: name }).put('dr-test-v3-0', keys);
    const rows = [];
    for await (const row of createTableClient(azurite.connectionString, name).listEntities()) rows.push(JSON.stringify(row));
    assert.equal(rows.length, 1);
    assert.ok(!rows[0]?.includes(keys.function) && !rows[0]?.includes(keys.durableTask), 'no key in clear');
    const other = new TableAppKeyStore(azurite.connectionString, { secretsKey: `${secretsKey}-another`, tableName: name });
    assert.deepEqual(await other.readAll(), { keys: new Map(), unreadable: ['dr-test-v3-0'] });
  });

  it('does not open a sealed value moved to another app\'s row', async () => {
    const name = tableName();
    const store = new TableAppKeyStore(azurite.connectionString, { secretsKey, tableName: name });
    await store.put('dr-test-v4-0', keysOf('moved'));
    const client = createTableClient(azurite.connectionString, name);
    const row = await client.getEntity<{ Sealed: string }>('app', 'dr-test-v4-0');
    await client.upsertEntity({ partitionKey: 'app', rowKey: 'dr-test-v4-1', Sealed: row.Sealed });
    const read = await store.readAll();
    assert.deepEqual([...read.keys.keys()], ['dr-test-v4-0']);
    assert.deepEqual(read.unreadable, ['dr-test-v4-1']);
  });

  it('says why a sealed value does not open, without quoting it', () => {
    const box = new SecretBox(secretsKey, 'tests');
    const sealed = box.seal('the secret', 'dr-test-v5-0');
    assert.equal(box.open(sealed, 'dr-test-v5-0'), 'the secret');
    assert.throws(() => new SecretBox(`${secretsKey}-other`, 'tests').open(sealed, 'dr-test-v5-0'),
      (error) => isRouterError(error, 'SECRET_UNREADABLE') && /ROUTER_SECRETS_KEY/.test(error.message) && !error.message.includes(sealed));
    assert.throws(() => box.open(sealed, 'dr-test-v5-1'), (error) => isRouterError(error, 'SECRET_UNREADABLE'));
    assert.throws(() => box.open('not sealed', 'dr-test-v5-0'), (error) => isRouterError(error, 'SECRET_UNREADABLE'));
  });

  it('refuses a secrets key too short to be one', () => {
    assert.throws(() => new TableAppKeyStore(azurite.connectionString, { secretsKey: 'short' }), (error) => isRouterError(error, 'INVALID_CONFIGURATION'));
  });
});
