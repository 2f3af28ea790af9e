import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { readServeSettings } from '../../../router/serve/serve-settings.js';

const accountKey = Buffer.from('not-a-real-account-key').toString('base64');
const valid = {
  ROUTER_STORAGE: `DefaultEndpointsProtocol=https;AccountName=stdrexample;AccountKey=${accountKey};EndpointSuffix=core.windows.net`,
  ROUTER_ADMIN_KEY: 'admin-key-0123456789',
  ROUTER_DURABLE_KEY: 'durable-key-0123456789',
  ROUTER_FUNCTION_KEY: 'function-key-0123456789',
  ROUTER_SECRETS_KEY: 'secrets-key-0123456789-0123456789-01',
  ROUTER_CONTROL_PLANE_URL: 'https://dr-prod-control.azurewebsites.net',
  ROUTER_CONTROL_PLANE_KEY: 'control-plane-key-0123456789',
};

function refusal(env: Record<string, string | undefined>): { message: string; settings: string[] } {
  try {
    readServeSettings(env);
  } catch (error) {
    assert.ok(isRouterError(error) && error.code === 'INVALID_CONFIGURATION', String(error));
    return { message: error.message, settings: (error.details as { settings: string[] }).settings };
  }
  assert.fail('the settings were taken');
}

describe('serve settings', () => {
  it('reads a complete environment, with the defaults for what it leaves out', () => {
    const settings = readServeSettings(valid);
    assert.equal(settings.port, 7070);
    assert.equal(settings.host, '127.0.0.1');
    assert.equal(settings.workers, 1);
    assert.deepEqual(settings.storage, { kind: 'connection-string', connectionString: valid.ROUTER_STORAGE });
    assert.deepEqual(settings.routerKeys, { function: valid.ROUTER_FUNCTION_KEY, durableApi: valid.ROUTER_DURABLE_KEY });
    assert.deepEqual(settings.controlPlane, { url: valid.ROUTER_CONTROL_PLANE_URL, key: valid.ROUTER_CONTROL_PLANE_KEY });
    assert.equal(settings.publicUrl, undefined);
    assert.equal(settings.trackingStorePrefix, 'DurableTask');
    assert.deepEqual([settings.upstreamTimeoutMs, settings.connectionsPerApp, settings.maxQueuedPerApp], [30_000, 64, 256]);
  });

  it('reads the limits on requests to apps, and refuses ones out of range', () => {
    const settings = readServeSettings({ ...valid, ROUTER_UPSTREAM_TIMEOUT: '10', ROUTER_CONNECTIONS_PER_APP: '8', ROUTER_QUEUE_PER_APP: '0' });
    assert.deepEqual([settings.upstreamTimeoutMs, settings.connectionsPerApp, settings.maxQueuedPerApp], [10_000, 8, 0]);
    const { message, settings: named } = refusal({ ...valid, ROUTER_UPSTREAM_TIMEOUT: '0', ROUTER_CONNECTIONS_PER_APP: '1.5', ROUTER_QUEUE_PER_APP: '200000' });
    assert.deepEqual(named.sort(), ['ROUTER_CONNECTIONS_PER_APP', 'ROUTER_QUEUE_PER_APP', 'ROUTER_UPSTREAM_TIMEOUT']);
    assert.match(message, /ROUTER_UPSTREAM_TIMEOUT must be a whole number of seconds from 1 to 3600/);
  });

  it('reaches storage with the identity from an account name or a Table endpoint', () => {
    const { ROUTER_STORAGE: _, ...withoutKey } = valid;
    assert.deepEqual(readServeSettings({ ...withoutKey, ROUTER_STORAGE__accountName: 'stdrexample' }).storage,
      { kind: 'identity', tableUrl: 'https://stdrexample.table.core.windows.net' });
    assert.deepEqual(readServeSettings({ ...withoutKey, ROUTER_STORAGE__tableServiceUri: 'https://stdrexample.table.core.windows.net/' }).storage,
      { kind: 'identity', tableUrl: 'https://stdrexample.table.core.windows.net' });
  });

  it('names every missing setting in one error', () => {
    const { message, settings } = refusal({});
    assert.deepEqual(settings.sort(), [
      'ROUTER_ADMIN_KEY', 'ROUTER_CONTROL_PLANE_KEY', 'ROUTER_CONTROL_PLANE_URL', 'ROUTER_DURABLE_KEY', 'ROUTER_FUNCTION_KEY', 'ROUTER_SECRETS_KEY', 'ROUTER_STORAGE',
    ]);
    assert.match(message, /ROUTER_STORAGE__accountName/, 'says how to use the identity instead');
  });

  it('refuses both storage forms at once, an http Table endpoint, and bad numbers, never echoing a secret', () => {
    assert.deepEqual(refusal({ ...valid, ROUTER_STORAGE__accountName: 'stdrexample' }).settings, ['ROUTER_STORAGE']);
    const { ROUTER_STORAGE: _, ...withoutKey } = valid;
    assert.deepEqual(refusal({ ...withoutKey, ROUTER_STORAGE__tableServiceUri: 'http://stdrexample.table.core.windows.net' }).settings, ['ROUTER_STORAGE__tableServiceUri']);
    assert.deepEqual(refusal({ ...valid, ROUTER_WORKERS: '0', ROUTER_PORT: '70000' }).settings.sort(), ['ROUTER_PORT', 'ROUTER_WORKERS']);
    const short = refusal({ ...valid, ROUTER_SECRETS_KEY: 'too-short-secret', ROUTER_DURABLE_KEY: 'has spaces in it, not url-safe' });
    assert.deepEqual(short.settings.sort(), ['ROUTER_DURABLE_KEY', 'ROUTER_SECRETS_KEY']);
    assert.ok(!short.message.includes('too-short-secret') && !short.message.includes('has spaces'), short.message);
    assert.deepEqual(refusal({ ...valid, ROUTER_TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' }).settings, ['ROUTER_TRUSTED_PROXIES']);
    assert.deepEqual(readServeSettings({ ...valid, ROUTER_TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies, ['10.0.0.0/8', '::1']);
    const badStorage = refusal({ ...valid, ROUTER_STORAGE: `AccountName=stdrexample;AccountKey=${accountKey};Oops` });
    assert.ok(!badStorage.message.includes(accountKey), badStorage.message);
  });
});
