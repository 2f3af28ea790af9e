import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { applyAppSettings, parseLocalSettings } from '../../../../deployer/host/app-loading/app-settings.js';
import { parseHostConfig } from '../../../../deployer/host/app-loading/host-config.js';
import {
  chooseAppStorage,
  createConnectionResolver,
  durableConnectionNames,
  needsEmbeddedStorage,
} from '../../../../deployer/host/app-loading/storage-connection.js';
import { triggerTypeOf, unsupportedBindingsOf } from '../../../../deployer/host/app-loading/binding-support.js';

const configError = (fragment: string) => (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && error.message.includes(fragment);

describe('local.settings.json', () => {
  it('reads Values, stringifying numbers and booleans and skipping nulls', () => {
    const settings = parseLocalSettings({ IsEncrypted: false, Values: { A: 'x', N: 3, B: true, Z: null } });
    assert.deepEqual(settings.values, { A: 'x', N: '3', B: 'true' });
    assert.deepEqual(parseLocalSettings({}).values, {});
  });

  it('refuses encrypted files and nested values', () => {
    assert.throws(() => parseLocalSettings({ IsEncrypted: true, Values: {} }), configError('encrypted'));
    assert.throws(() => parseLocalSettings({ Values: { A: { nested: 1 } } }), configError('"A"'));
    assert.throws(() => parseLocalSettings([]), configError('JSON object'));
  });

  it('lets the environment win, as func start does', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'from env' };
    const result = applyAppSettings(env, { KEEP: 'from file', NEW: 'from file' });
    assert.deepEqual(env, { KEEP: 'from env', NEW: 'from file' });
    assert.deepEqual(result, { applied: ['NEW'], skipped: ['KEEP'] });
  });
});

describe('host.json', () => {
  it('defaults the route prefix to "api" and accepts an empty one', () => {
    assert.equal(parseHostConfig({ version: '2.0' }, {}).routePrefix, 'api');
    assert.equal(parseHostConfig({ version: '2.0', extensions: { http: { routePrefix: '' } } }, {}).routePrefix, '');
    assert.equal(parseHostConfig({ version: '2.0', extensions: { http: { routePrefix: '/v1/' } } }, {}).routePrefix, 'v1');
  });

  it('accepts and lists Azure-only settings it ignores', () => {
    const config = parseHostConfig(
      {
        version: '2.0',
        extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
        logging: {},
        extensions: { http: { routePrefix: 'api', hsts: {} }, serviceBus: {}, durableTask: { hubName: 'Hub' } },
      },
      {},
    );
    assert.deepEqual(config.ignored, ['extensionBundle', 'logging', 'extensions.serviceBus', 'extensions.http.hsts']);
    assert.deepEqual(config.durableTask, { hubName: 'Hub' });
  });

  it('resolves %Setting% values in durableTask from the app settings', () => {
    const config = parseHostConfig(
      { version: '2.0', extensions: { durableTask: { hubName: '%HUB%', storageProvider: { partitionCount: 4, note: '50%' } } } },
      { HUB: 'OrdersV2' },
    );
    assert.deepEqual(config.durableTask, { hubName: 'OrdersV2', storageProvider: { partitionCount: 4, note: '50%' } });
    assert.throws(() => parseHostConfig({ version: '2.0', extensions: { durableTask: { hubName: '%MISSING%' } } }, {}), configError('"MISSING"'));
  });

  it('applies AzureFunctionsJobHost__ overrides case-insensitively, keeping value types', () => {
    const config = parseHostConfig(
      { version: '2.0', extensions: { durableTask: { hubName: 'FromFile', storageProvider: { partitionCount: 4 } } } },
      {
        AzureFunctionsJobHost__extensions__durableTask__hubName: 'FromEnv',
        AZUREFUNCTIONSJOBHOST__EXTENSIONS__DURABLETASK__STORAGEPROVIDER__PARTITIONCOUNT: '2',
        AzureFunctionsJobHost__extensions__http__routePrefix: 'v2',
      },
    );
    assert.deepEqual(config.durableTask, { hubName: 'FromEnv', storageProvider: { partitionCount: 2 } });
    assert.equal(config.routePrefix, 'v2');
  });

  it('requires version 2.0', () => {
    assert.throws(() => parseHostConfig({}, {}), configError('missing the required "version"'));
    assert.throws(() => parseHostConfig({ version: '1.0' }, {}), configError('only "2.0"'));
    assert.throws(() => parseHostConfig({ version: '2.0', extensions: { http: { routePrefix: 3 } } }, {}), configError('routePrefix'));
  });
});

describe('storage connections', () => {
  const conn = 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/a;';

  it('prefers the explicit option, then AzureWebJobsStorage, then ROUTER_STORAGE, then the embedded Azurite', () => {
    assert.deepEqual(chooseAppStorage(conn, { AzureWebJobsStorage: 'other', ROUTER_STORAGE: 'x' }), { source: 'option', connectionString: conn });
    assert.deepEqual(chooseAppStorage(undefined, { AzureWebJobsStorage: conn, ROUTER_STORAGE: 'x' }), { source: 'app-setting', connectionString: conn });
    assert.deepEqual(chooseAppStorage(undefined, { AzureWebJobsStorage: ' ', ROUTER_STORAGE: conn }), { source: 'router-storage', connectionString: conn });
    assert.deepEqual(chooseAppStorage(undefined, {}), { source: 'embedded' });
    assert.deepEqual(chooseAppStorage(undefined, { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ROUTER_STORAGE: conn }), { source: 'embedded' });
  });

  it('resolves setting names, with UseDevelopmentStorage=true meaning the embedded Azurite', () => {
    const env = { Tracking: conn, DevTracking: 'UseDevelopmentStorage=true', Identity__accountName: 'acct' };
    const resolve = createConnectionResolver({ source: 'embedded' }, env, 'EMBEDDED');
    assert.equal(resolve('AzureWebJobsStorage'), 'EMBEDDED');
    assert.equal(resolve('Tracking'), conn);
    assert.equal(resolve('DevTracking'), 'EMBEDDED');
    assert.throws(() => resolve('Missing'), configError('"Missing"'));
    assert.throws(() => resolve('Identity'), configError('identity-based'));
    assert.throws(() => createConnectionResolver({ source: 'app-setting', connectionString: conn }, env, undefined)('DevTracking'), configError('embedded Azurite'));
  });

  it('starts the embedded Azurite only when a connection needs it', () => {
    const durableTask = { hubName: 'H', storageProvider: { connectionName: 'Main', trackingStoreConnectionName: 'Tracking' } };
    assert.deepEqual(durableConnectionNames(durableTask), ['Main', 'Tracking']);
    const choice = { source: 'app-setting', connectionString: conn } as const;
    assert.equal(needsEmbeddedStorage(choice, ['Main', 'Tracking'], { Main: conn, Tracking: conn }), false);
    assert.equal(needsEmbeddedStorage(choice, ['Main', 'Tracking'], { Main: conn, Tracking: 'UseDevelopmentStorage=true' }), true);
    assert.equal(needsEmbeddedStorage({ source: 'embedded' }, [], {}), true);
  });
});

describe('binding support', () => {
  const fn = (triggerType: string, bindings: Record<string, Record<string, unknown>>) => ({ name: 'f', triggerType, bindings });

  it('serves HTTP and durable triggers, durable client inputs and http outputs', () => {
    assert.deepEqual(
      unsupportedBindingsOf(
        fn('httpTrigger', {
          t: { type: 'httpTrigger', direction: 'in' },
          c: { type: 'durableClient', direction: 'in' },
          $return: { type: 'http', direction: 'out' },
        }),
      ),
      [],
    );
    for (const trigger of ['orchestrationTrigger', 'activityTrigger', 'entityTrigger']) {
      assert.deepEqual(unsupportedBindingsOf(fn(trigger, { t: { type: trigger, direction: 'in' } })), []);
    }
  });

  it('names every other binding type', () => {
    assert.deepEqual(unsupportedBindingsOf(fn('serviceBusTrigger', { t: { type: 'serviceBusTrigger', direction: 'in' } })), [
      { function: 'f', bindingType: 'serviceBusTrigger' },
    ]);
    assert.deepEqual(
      unsupportedBindingsOf(
        fn('activityTrigger', {
          t: { type: 'activityTrigger', direction: 'in' },
          b: { type: 'blob', direction: 'out' },
          h: { type: 'http', direction: 'out' },
          q: { type: 'table', direction: 'in' },
        }),
      ).map((u) => u.bindingType),
      ['blob', 'http', 'table'],
    );
  });

  it('finds the single trigger', () => {
    assert.equal(triggerTypeOf({ a: { type: 'httpTrigger' }, b: { type: 'http' } }), 'httpTrigger');
    assert.equal(triggerTypeOf({ a: { type: 'http' } }), undefined);
    assert.equal(triggerTypeOf({ a: { type: 'httpTrigger' }, b: { type: 'timerTrigger' } }), undefined);
  });
});
