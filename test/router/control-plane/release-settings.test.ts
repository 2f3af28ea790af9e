/**
 * A release's settings hold secrets: the app gets them, while the control plane's history,
 * instance rows, durable API, release status and log never show a value. The local platform's
 * record of an app (which holds its settings, as Azure does) is owner-only. On both platforms.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { controlPlaneTaskHubFor } from '../../../router/app-configuration/app-naming.js';
import { createTableClient, createTableServiceClient } from '../../../shared/storage/table-client-factory.js';
import { ReleaseStack, type ReleaseView } from './fixtures/release-stack.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

for (const platform of ['local', 'azure'] as const) {
  describe(`release settings stay out of history and logs (${platform} platform)`, () => {
    let stack: ReleaseStack;
    const secret = `secret-value-${randomUUID()}`;
    const vaultReference = '@Microsoft.KeyVault(SecretUri=https://vault.example/secrets/db/)';
    let releaseId: string;
    let app: string;

    before(async () => {
      stack = await ReleaseStack.start({ platform, ...(platform === 'azure' ? { lroDelayMs: 20 } : {}) });
      const started = await stack.admin<{ id: string }>('POST', '/admin/releases', {
        version: '1.0.0', package: await stack.stage('1.0.0'), settings: { FIXTURE_SECRET: secret, FIXTURE_VAULT: vaultReference },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      releaseId = started.body.id;
      const { final } = await stack.waitForRelease(releaseId);
      assert.equal(final.state, 'succeeded', JSON.stringify(final));
      app = final.app as string;
    });

    after(async () => {
      await stack?.stop();
    });

    it('the app sees the settings', async () => {
      const seen = await stack.app<{ sha256: string | null }>('GET', '/api/settings/FIXTURE_SECRET');
      assert.equal(seen.status, 200);
      assert.equal(seen.body.sha256, sha256(secret));
      assert.equal((await stack.app<{ sha256: string | null }>('GET', '/api/settings/FIXTURE_VAULT')).body.sha256, sha256(vaultReference), 'a Key Vault reference passes through as a value');
    });

    it('the release status names the settings and shows no value', async () => {
      const status = await stack.admin<ReleaseView & { settingNames: string[] }>('GET', `/admin/releases/${encodeURIComponent(releaseId)}`);
      assert.equal(status.status, 200);
      assert.deepEqual(status.body.settingNames, ['FIXTURE_SECRET', 'FIXTURE_VAULT']);
      assert.ok(!JSON.stringify(status.body).includes(secret));
    });

    it('the control plane\'s durable API, with input and history, shows no value', async () => {
      const keys = await stack.controlPlane.hostSecrets();
      const url = `${stack.controlPlane.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(releaseId)}?showInput=true&showHistory=true&showHistoryOutput=true`;
      const response = await fetch(url, { headers: { 'x-functions-key': keys.systemKeys['durabletask_extension'] as string } });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      const body = JSON.parse(text) as { input: { settingNames: string[] }; historyEvents: unknown[] };
      assert.deepEqual(body.input.settingNames, ['FIXTURE_SECRET', 'FIXTURE_VAULT']);
      assert.ok(body.historyEvents.length > 0, 'the history is shown');
      assert.ok(!text.includes(secret), 'a setting value is in the durable API\'s answer');
    });

    it('no table row holds the value (the task hub\'s Instances and History included), and the sealed record is gone', async () => {
      const tables: string[] = [];
      for await (const table of createTableServiceClient(stack.storage).listTables()) tables.push(table.name as string);
      const taskHub = controlPlaneTaskHubFor();
      assert.ok(tables.includes(`${taskHub}Instances`) && tables.includes(`${taskHub}History`), `the control plane's task hub tables: ${tables.join(', ')}`);
      let rows = 0;
      let namedInHistory = false;
      for (const table of tables) {
        for await (const row of createTableClient(stack.storage, table).listEntities()) {
          const text = JSON.stringify(row);
          rows++;
          assert.ok(!text.includes(secret), `a setting value is in a row of table ${table}`);
          if (table.startsWith(taskHub) && text.includes('FIXTURE_SECRET')) namedInHistory = true;
        }
      }
      assert.ok(rows > 0 && namedInHistory, 'the task hub\'s rows carry the settings\' names');
      const sealed = [];
      for await (const row of createTableClient(stack.storage, 'DurableRouterReleaseSettings').listEntities()) sealed.push(row.rowKey);
      assert.deepEqual(sealed, [], 'the release\'s sealed settings go when it ends');
    });

    it('no log line holds the value', () => {
      const log = stack.controlPlaneLog.join('\n');
      assert.ok(log.length > 0);
      assert.ok(!log.includes(secret), 'a setting value reached a log line');
    });

    it('the app\'s record (its settings) is owner-only, in an owner-only folder', async () => {
      const folder = stack.appFolder(app);
      assert.equal((await stat(path.join(folder, 'app.json'))).mode & 0o777, 0o600);
      assert.equal((await stat(folder)).mode & 0o777, 0o700);
      assert.equal((await stat(path.join(folder, 'secrets'))).mode & 0o777, 0o700);
    });
  });
}
