import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseHostConfig } from '../../deployer/host/app-loading/host-config.js';
import { parseDurableTaskSettings } from '../../deployer/host/durable/configuration/durable-task-settings.js';
import { routerAppSettings, routerOwnedSettingClashes } from '../../router/app-configuration/app-settings.js';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { TrackingStoreReader } from '../../shared/tracking-store/tracking-store-reader.js';
import { repositoryRoot, sampleAppDir } from '../deployer/host/fixture-apps.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus, type HostProcess } from '../deployer/host/e2e/host-process.js';

const templateFile = path.join(repositoryRoot, 'templates', 'host.json');
const guideFile = path.join(repositoryRoot, 'templates', 'README.md');

type Json = Record<string, unknown>;

async function readJson(file: string): Promise<Json> {
  return JSON.parse(await readFile(file, 'utf8')) as Json;
}

/** Every value of a host.json as the app setting that would override it (`AzureFunctionsJobHost__a__b`). */
function asOverrideNames(value: unknown, prefix = 'AzureFunctionsJobHost'): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value);
  // An empty section names nothing by itself.
  return entries.flatMap(([key, inner]) => asOverrideNames(inner, `${prefix}__${key}`));
}

/** What the router gives a 1.0 app (app-settings.ts), against this storage. */
function settingsOfRoutedApp(storage: string): Record<string, string> {
  return routerAppSettings({ routeKey: '1.0', version: '1.0.0', storageConnectionString: storage });
}

describe('templates/host.json, the host.json for routed apps', () => {
  it('is a version 2.0 host.json with the extension bundle Azure needs, as the sample app has it', async () => {
    const template = await readJson(templateFile);
    const sample = await readJson(path.join(sampleAppDir, 'host.json'));
    assert.equal(template['version'], '2.0');
    assert.deepEqual(template['extensionBundle'], { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    assert.deepEqual(template['extensionBundle'], sample['extensionBundle']);
    assert.deepEqual(template['logging'], sample['logging']);
  });

  it('names no setting the router owns, and keeps the /api route prefix the front door forwards', async () => {
    const template = await readJson(templateFile);
    assert.deepEqual(routerOwnedSettingClashes(Object.fromEntries(asOverrideNames(template).map((name) => [name, '']))), []);
    const durableTask = (template['extensions'] as Json)['durableTask'] as Json;
    assert.ok(durableTask !== undefined, 'the durableTask section is where an app\'s own durable settings go');
    for (const owned of ['hubName', 'storageProvider', 'defaultVersion', 'azureStorageConnectionStringName']) assert.ok(!(owned in durableTask), `no ${owned}`);
    assert.equal(parseHostConfig(template, {}).routePrefix, 'api');
  });

  it('takes the task hub, tracking store and version from the router\'s settings, as the sample app\'s host.json does', async () => {
    const settings = settingsOfRoutedApp('UseDevelopmentStorage=true');
    const resolved = await Promise.all([templateFile, path.join(sampleAppDir, 'host.json')].map(async (file) => parseDurableTaskSettings(parseHostConfig(await readJson(file), settings).durableTask)));
    for (const durable of resolved) {
      assert.equal(durable.hubName, settings['TASKHUB_NAME']);
      assert.equal(durable.trackingStoreConnectionName, 'AzureWebJobsStorage');
      assert.equal(durable.defaultVersion, '1.0.0');
    }
    assert.deepEqual(resolved[0], resolved[1]);
  });

  it('is explained in templates/README.md, which lists every setting the router gives an app', async () => {
    const guide = await readFile(guideFile, 'utf8');
    for (const name of Object.keys(settingsOfRoutedApp('x'))) assert.ok(guide.includes(`\`${name}\``), `the guide lists ${name}`);
  });
});

describe('the sample app with templates/host.json, in the local host with the router\'s settings', () => {
  const appDir = path.join(repositoryRoot, '.data', 'test', `host-template-${randomUUID()}`);
  let azurite: RunningAzurite;
  let host: HostProcess;
  let storage: string;

  before(async () => {
    azurite = await startAzurite({ inMemory: true });
    storage = azurite.connectionString;
    await stageAppAsVersion(sampleAppDir, appDir, '1.0.0');
    await copyFile(templateFile, path.join(appDir, 'host.json'));
    host = await startHostProcess({ appDir, env: { ...baseEnvironment(), ...settingsOfRoutedApp(storage), LOG_LEVEL: 'warn' } });
  });

  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
    await azurite?.stop();
    await rm(appDir, { recursive: true, force: true });
  });

  it('loads every function, in the task hub the router names', async () => {
    assert.deepEqual(host.listening.unsupported, []);
    assert.ok(host.listening.functions.length > 0);
    assert.equal(host.listening.taskHubName, settingsOfRoutedApp(storage)['TASKHUB_NAME']);
    assert.deepEqual(await (await fetch(`${host.listening.url}/api/version`)).json(), { name: 'order-workflow-sample', version: '1.0.0' });
  });

  it('runs an orchestration that lands in the shared tracking store under that task hub', async () => {
    const started = await fetch(`${host.listening.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'host-template', customer: 'Ada', items: [{ sku: 'pen', quantity: 1, unitPrice: 2 }] }),
    });
    assert.equal(started.status, 202, await started.clone().text());
    const status = await waitForTerminalStatus(((await started.json()) as { statusQueryGetUri: string }).statusQueryGetUri);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    const tracked = await new TrackingStoreReader(storage).getInstance('host-template');
    assert.equal(tracked?.taskHub, settingsOfRoutedApp(storage)['TASKHUB_NAME']);
  });
});
