import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { devStorageConnectionString } from '../../../shared/storage/azurite.js';
import { controlPlaneDefaults, readControlPlaneSettings } from '../../../router/control-plane/control-plane-settings.js';

const storage = devStorageConnectionString('http://127.0.0.1:10002/devstoreaccount1');
const base = {
  ROUTER_STORAGE: storage,
  ROUTER_PLATFORM_ROOT: '/srv/router/platform',
  ROUTER_CONTROL_PLANE_DATA: '/srv/router/control-plane',
  ROUTER_CONTROL_PLANE_KEY: 'k'.repeat(24),
  ROUTER_SECRETS_KEY: 's'.repeat(32),
};

function refused(env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(() => readControlPlaneSettings(env), (error) => isRouterError(error, 'INVALID_CONFIGURATION') && message.test(error.message));
}

describe('control plane settings', () => {
  it('fills in defaults: router "local", DurableTask tracking tables, 5 s polls, 10 s grace', () => {
    const settings = readControlPlaneSettings(base);
    assert.equal(settings.routerId, 'local');
    assert.equal(settings.trackingStorePrefix, 'DurableTask');
    assert.deepEqual(settings.packageDirs, []);
    assert.deepEqual(settings.packageHosts, [], 'no host listed: package URLs are refused');
    assert.deepEqual(settings.packageTestLoopbackHosts, []);
    assert.equal(settings.drainPollMs, 5_000);
    assert.equal(settings.decommissionGraceMs, controlPlaneDefaults.decommissionGraceMs);
    assert.deepEqual(settings.platform, { kind: 'local', root: '/srv/router/platform', ports: undefined });
    assert.equal(settings.appNamePrefix, 'dr-local');
    assert.equal(settings.appQuota, 100);
    assert.ok(Object.isFrozen(settings));
  });

  it('reads package folders, a port range and timings', () => {
    const settings = readControlPlaneSettings({
      ...base,
      ROUTER_ID: 'prod',
      ROUTER_PACKAGE_DIRS: ['/srv/a', '/srv/b'].join(path.delimiter),
      ROUTER_APP_PORTS: '7100-7199',
      ROUTER_DRAIN_POLL_MS: '250',
      ROUTER_DECOMMISSION_GRACE_MS: '0',
      ROUTER_PACKAGE_HOSTS: 'packages.example.com, *.blob.core.windows.net',
    });
    assert.equal(settings.routerId, 'prod');
    assert.deepEqual(settings.packageHosts, ['packages.example.com', '*.blob.core.windows.net']);
    assert.deepEqual(settings.packageDirs, ['/srv/a', '/srv/b']);
    assert.deepEqual(settings.platform, { kind: 'local', root: '/srv/router/platform', ports: { first: 7100, last: 7199 } });
    assert.equal(settings.appNamePrefix, 'dr-prod');
    assert.equal(settings.drainPollMs, 250);
    assert.equal(settings.decommissionGraceMs, 0);
  });

  it('reads the Azure platform\'s settings, naming each one missing', () => {
    const storage = 'DefaultEndpointsProtocol=https;AccountName=routerstore;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    const settings = readControlPlaneSettings({
      ...base, ROUTER_PLATFORM: 'azure', ROUTER_PLATFORM_ROOT: '', ROUTER_STORAGE: storage, ROUTER_APP_NAME_PREFIX: 'contoso-orders',
      AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555', ROUTER_RESOURCE_GROUP: 'rg-orders', ROUTER_LOCATION: 'westeurope',
    });
    assert.equal(settings.platform.kind, 'azure');
    assert.equal(settings.appNamePrefix, 'contoso-orders');
    if (settings.platform.kind === 'azure') assert.equal(settings.platform.azure.planSku, 'FC1');
    assert.throws(() => readControlPlaneSettings({ ...base, ROUTER_PLATFORM: 'azure', ROUTER_STORAGE: storage }), (error) => {
      assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
      assert.ok(!error.message.includes('a2V5'), 'the account key is never echoed');
      return /AZURE_SUBSCRIPTION_ID is missing.*ROUTER_RESOURCE_GROUP is missing.*ROUTER_LOCATION is missing/.test(error.message);
    });
  });

  it('says which setting is wrong, never echoing the key', () => {
    refused({ ...base, ROUTER_STORAGE: '' }, /ROUTER_STORAGE is not set/);
    refused({ ...base, ROUTER_PLATFORM: 'cloud' }, /ROUTER_PLATFORM must be "local" or "azure"/);
    refused({ ...base, ROUTER_APP_NAME_PREFIX: 'Contoso_Orders' }, /ROUTER_APP_NAME_PREFIX must be 2 to 20 lower-case letters/);
    refused({ ...base, ROUTER_APP_NAME_PREFIX: 'a-prefix-far-too-long-for-host-ids' }, /ROUTER_APP_NAME_PREFIX must be 2 to 20/);
    refused({ ...base, ROUTER_PLATFORM_ROOT: 'relative/dir' }, /ROUTER_PLATFORM_ROOT must be the absolute folder/);
    refused({ ...base, ROUTER_PACKAGE_DIRS: 'relative' }, /ROUTER_PACKAGE_DIRS lists "relative"/);
    refused({ ...base, ROUTER_APP_PORTS: '9000-8000' }, /port range/);
    refused({ ...base, ROUTER_PACKAGE_HOSTS: 'https://packages.example.com' }, /ROUTER_PACKAGE_HOSTS lists "https:\/\/packages.example.com", which is not a bare host name/);
    refused({ ...base, ROUTER_PACKAGE_HOSTS: 'localhost', ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS: '127.0.0.1' }, /ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS lists "127.0.0.1", which is not a host \(without a wildcard\) of ROUTER_PACKAGE_HOSTS/);
    refused({ ...base, ROUTER_DRAIN_POLL_MS: '5s' }, /ROUTER_DRAIN_POLL_MS must be a whole number/);
    refused({ ...base, ROUTER_APP_QUOTA: '0' }, /ROUTER_APP_QUOTA must be a whole number of apps from 1/);
    assert.throws(() => readControlPlaneSettings({ ...base, ROUTER_SECRETS_KEY: 'too-short-a-secret' }), (error) => {
      assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
      assert.ok(!error.message.includes('too-short-a-secret'));
      return /ROUTER_SECRETS_KEY must be set to a key of at least 32 characters/.test(error.message);
    });
    assert.throws(() => readControlPlaneSettings({ ...base, ROUTER_CONTROL_PLANE_KEY: 'short-secret' }), (error) => {
      assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
      assert.ok(!error.message.includes('short-secret'));
      return /at least 16 characters/.test(error.message);
    });
  });
});
