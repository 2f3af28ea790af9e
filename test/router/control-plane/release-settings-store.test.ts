import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { createTableClient } from '../../../shared/storage/table-client-factory.js';
import { MemoryReleaseSettingsStore } from '../../../router/control-plane/release-settings/memory-release-settings-store.js';
import type { ReleaseSettingsStore } from '../../../router/control-plane/release-settings/release-settings-store.js';
import { TableReleaseSettingsStore } from '../../../router/control-plane/release-settings/table-release-settings-store.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests();
const secretsKey = 'release-settings-tests-secrets-key-0123456789';
const settingsOf = (name: string) => ({ DB_PASSWORD: `${name}-password-${randomUUID()}`, VAULT: '@Microsoft.KeyVault(SecretUri=https://vault.example/secrets/x)' });
const tableName = () => `Settings${randomUUID().replaceAll('-', '').slice(0, 20)}`;

function describeReleaseSettingsStore(name: string, open: () => ReleaseSettingsStore): void {
  describe(`ReleaseSettingsStore contract: ${name}`, () => {
    it('keeps, reads and removes each release\'s settings', async () => {
      const store = open();
      assert.equal(await store.get('release-1.0.0-aaaaaaaa'), undefined);
      const first = settingsOf('first');
      const second = settingsOf('second');
      await store.put('release-1.0.0-aaaaaaaa', first);
      await store.put('release-1.1.0-bbbbbbbb', second);
      assert.deepEqual(await open().get('release-1.0.0-aaaaaaaa'), first);
      assert.deepEqual(await open().get('release-1.1.0-bbbbbbbb'), second);
      const replaced = { ONLY: 'this one' };
      await store.put('release-1.0.0-aaaaaaaa', replaced);
      await store.remove('release-1.1.0-bbbbbbbb');
      await store.remove('release-1.1.0-bbbbbbbb');
      assert.deepEqual(await open().get('release-1.0.0-aaaaaaaa'), replaced);
      assert.equal(await open().get('release-1.1.0-bbbbbbbb'), undefined);
    });

    it('hands out copies', async () => {
      const store = open();
      const settings: Record<string, string> = { ...settingsOf('copy') };
      await store.put('release-2.0.0-cccccccc', settings);
      settings['DB_PASSWORD'] = 'changed-by-the-caller';
      const read = await store.get('release-2.0.0-cccccccc') as Record<string, string>;
      assert.notEqual(read['DB_PASSWORD'], 'changed-by-the-caller');
      read['DB_PASSWORD'] = 'changed-by-the-reader';
      assert.notEqual((await store.get('release-2.0.0-cccccccc'))?.['DB_PASSWORD'], 'changed-by-the-reader');
    });

    it('keeps settings larger than one Table property', async () => {
      const store = open();
      const large = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`SETTING_${index}`, randomUUID().repeat(60)]));
      await store.put('release-3.0.0-dddddddd', large);
      assert.deepEqual(await open().get('release-3.0.0-dddddddd'), large);
    });
  });
}

describeReleaseSettingsStore('memory', (() => {
  let shared: MemoryReleaseSettingsStore | undefined;
  return () => (shared ??= new MemoryReleaseSettingsStore());
})());

describeReleaseSettingsStore('table', (() => {
  const name = tableName();
  return () => new TableReleaseSettingsStore(azurite.connectionString, { secretsKey, tableName: name });
})());

describe('TableReleaseSettingsStore', () => {
  it('keeps the values sealed: the stored row holds no value, and another secrets key or another release\'s row cannot open it', async () => {
    const name = tableName();
    const settings = settingsOf('sealed');
    const store = new TableReleaseSettingsStore(azurite.connectionString, { secretsKey, tableName: name });
    await store.put('release-4.0.0-eeeeeeee', settings);
    const client = createTableClient(azurite.connectionString, name);
    const rows = [];
    for await (const row of client.listEntities()) rows.push(JSON.stringify(row));
    assert.equal(rows.length, 1);
    assert.ok(!rows[0]?.includes(settings.DB_PASSWORD) && !rows[0]?.includes('DB_PASSWORD') && !rows[0]?.includes('KeyVault'), 'neither names nor values in clear');

    const other = new TableReleaseSettingsStore(azurite.connectionString, { secretsKey: `${secretsKey}-another`, tableName: name });
    await assert.rejects(other.get('release-4.0.0-eeeeeeee'), (error) => isRouterError(error, 'SECRET_UNREADABLE') && !error.message.includes(settings.DB_PASSWORD));
    const row = await client.getEntity<Record<string, unknown>>('release', 'release-4.0.0-eeeeeeee');
    await client.upsertEntity({ ...row, partitionKey: 'release', rowKey: 'release-4.0.1-ffffffff' });
    await assert.rejects(store.get('release-4.0.1-ffffffff'), (error) => isRouterError(error, 'SECRET_UNREADABLE'));
  });

  it('refuses settings too large to keep, before writing anything', async () => {
    const name = tableName();
    const store = new TableReleaseSettingsStore(azurite.connectionString, { secretsKey, tableName: name });
    const huge = { HUGE: 'x'.repeat(1024 * 1024) };
    await assert.rejects(store.put('release-5.0.0-aaaaaaaa', huge), (error) => isRouterError(error, 'INVALID_REQUEST') && /too large to keep/.test(error.message));
    assert.equal(await store.get('release-5.0.0-aaaaaaaa'), undefined);
  });
});
