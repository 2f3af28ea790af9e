import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { devStorageConnectionString } from '../../../../shared/storage/azurite.js';
import { readAzurePlatformSettings } from '../../../../deployer/platform/azure/azure-platform-settings.js';
import { AzurePlatform } from '../../../../deployer/platform/azure/azure-platform.js';
import { staticTokenCredential } from '../../../../deployer/platform/azure/loopback-arm-auth.js';

const secretKey = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=';
const packageStorage = `DefaultEndpointsProtocol=https;AccountName=routerpkgs;AccountKey=${secretKey};EndpointSuffix=core.windows.net`;
const valid = {
  AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
  ROUTER_RESOURCE_GROUP: 'rg-durable-router',
  ROUTER_LOCATION: 'West Europe',
  ROUTER_PACKAGE_STORAGE: packageStorage,
};

function refusal(action: () => unknown): { message: string; details: Record<string, unknown> } {
  try {
    action();
  } catch (error) {
    assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'), `expected INVALID_CONFIGURATION, got ${String(error)}`);
    return { message: error.message, details: { ...error.details } };
  }
  assert.fail('expected a refusal');
}

describe('readAzurePlatformSettings', () => {
  it('reads a complete environment, with defaults for the rest', () => {
    assert.deepEqual(readAzurePlatformSettings(valid), {
      subscriptionId: valid.AZURE_SUBSCRIPTION_ID,
      resourceGroup: 'rg-durable-router',
      location: 'westeurope',
      planSku: 'FC1',
      packageStorage: { connectionString: packageStorage, container: 'durable-router-packages' },
    });
    const tuned = readAzurePlatformSettings({
      ...valid,
      ROUTER_PLAN_SKU: 'ep1',
      ROUTER_PACKAGE_CONTAINER: 'my-packages',
      ROUTER_AZURE_ARM_ENDPOINT: 'http://127.0.0.1:4567',
      ROUTER_AZURE_ARM_TOKEN: 'test-token',
      ROUTER_AZURE_POLL_MS: '20',
    });
    assert.equal(tuned.planSku, 'EP1');
    assert.equal(tuned.packageStorage.container, 'my-packages');
    assert.equal(tuned.armEndpoint, 'http://127.0.0.1:4567');
    assert.equal(tuned.armToken, 'test-token');
    assert.equal(tuned.pollIntervalMs, 20);
  });

  it('names every missing setting in one error', () => {
    const { message, details } = refusal(() => readAzurePlatformSettings({}));
    for (const name of ['AZURE_SUBSCRIPTION_ID', 'ROUTER_RESOURCE_GROUP', 'ROUTER_LOCATION', 'ROUTER_PACKAGE_STORAGE']) {
      assert.match(message, new RegExp(`${name} is missing`));
    }
    assert.deepEqual(details['settings'], ['AZURE_SUBSCRIPTION_ID', 'ROUTER_RESOURCE_GROUP', 'ROUTER_LOCATION', 'ROUTER_PACKAGE_STORAGE']);
  });

  it('names every invalid setting in one error, without echoing a secret', () => {
    const { message, details } = refusal(() => readAzurePlatformSettings({
      AZURE_SUBSCRIPTION_ID: 'not-a-guid',
      ROUTER_RESOURCE_GROUP: 'ends-with-dot.',
      ROUTER_LOCATION: 'West/Europe',
      ROUTER_PLAN_SKU: 'P1V3',
      ROUTER_PACKAGE_STORAGE: `BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=${secretKey}`,
      ROUTER_PACKAGE_CONTAINER: 'Bad--Name',
      ROUTER_AZURE_ARM_ENDPOINT: 'https://management.azure.com',
      ROUTER_AZURE_ARM_TOKEN: 'token-value-that-is-secret',
      ROUTER_AZURE_POLL_MS: '0',
    }));
    assert.deepEqual(details['settings'], [
      'AZURE_SUBSCRIPTION_ID', 'ROUTER_RESOURCE_GROUP', 'ROUTER_LOCATION', 'ROUTER_PLAN_SKU', 'ROUTER_PACKAGE_CONTAINER',
      'ROUTER_PACKAGE_STORAGE', 'ROUTER_AZURE_ARM_ENDPOINT', 'ROUTER_AZURE_POLL_MS',
    ]);
    assert.match(message, /ROUTER_PACKAGE_STORAGE has no AccountKey/);
    assert.match(message, /ROUTER_AZURE_ARM_ENDPOINT must be http:\/\/127\.0\.0\.1:PORT or http:\/\/localhost:PORT/);
    assert.match(message, /ROUTER_PLAN_SKU must be FC1 .* EP1 .* or Y1/);
    assert.doesNotMatch(message, new RegExp(secretKey.slice(0, 12)));
    assert.doesNotMatch(message, /token-value-that-is-secret/);
  });

  it('takes ROUTER_STORAGE for packages only when it has a blob endpoint', () => {
    const withBlob = devStorageConnectionString('http://127.0.0.1:10002/devstoreaccount1', 'http://127.0.0.1:10000/devstoreaccount1');
    const { ROUTER_PACKAGE_STORAGE: _omitted, ...withoutPackages } = valid;
    assert.equal(readAzurePlatformSettings({ ...withoutPackages, ROUTER_STORAGE: withBlob }).packageStorage.connectionString, withBlob);
    const tableOnly = devStorageConnectionString('http://127.0.0.1:10002/devstoreaccount1');
    const { message } = refusal(() => readAzurePlatformSettings({ ...withoutPackages, ROUTER_STORAGE: tableOnly }));
    assert.match(message, /ROUTER_PACKAGE_STORAGE is missing, and ROUTER_STORAGE cannot hold packages: it has no blob endpoint/);
    assert.doesNotMatch(message, /Eby8vdM02x/);
  });

  it('refuses every ARM endpoint but a loopback http one, and a token without it', () => {
    for (const endpoint of ['http://10.0.0.1:80', 'http://127.0.0.1', 'http://127.0.0.1:80/path', 'http://user:pw@127.0.0.1:80', 'ftp://127.0.0.1:21', 'nonsense']) {
      const { details } = refusal(() => readAzurePlatformSettings({ ...valid, ROUTER_AZURE_ARM_ENDPOINT: endpoint }));
      assert.deepEqual(details['settings'], ['ROUTER_AZURE_ARM_ENDPOINT'], endpoint);
    }
    assert.equal(readAzurePlatformSettings({ ...valid, ROUTER_AZURE_ARM_ENDPOINT: 'http://localhost:9000/' }).armEndpoint, 'http://localhost:9000/');
    const { message, details } = refusal(() => readAzurePlatformSettings({ ...valid, ROUTER_AZURE_ARM_TOKEN: 'abc' }));
    assert.deepEqual(details['settings'], ['ROUTER_AZURE_ARM_TOKEN']);
    assert.match(message, /test setting for ROUTER_AZURE_ARM_ENDPOINT only/);
  });
});

describe('AzurePlatform options', () => {
  const options = {
    subscriptionId: valid.AZURE_SUBSCRIPTION_ID,
    resourceGroup: 'rg',
    location: 'westeurope',
    packageStorage: { connectionString: packageStorage },
    credential: staticTokenCredential('unused'),
  };

  it('is built from valid options without calling Azure', () => {
    assert.ok(new AzurePlatform(options));
    assert.ok(new AzurePlatform({ ...readAzurePlatformSettings({ ...valid, ROUTER_AZURE_ARM_ENDPOINT: 'http://127.0.0.1:1', ROUTER_AZURE_ARM_TOKEN: 't' }), owner: 'edge-1' }));
  });

  it('refuses contradictions and bad values, naming each', () => {
    const { message, details } = refusal(() => new AzurePlatform({
      ...options,
      location: '',
      planSku: 'S1',
      owner: 'Not_Valid',
      armToken: 'secret-token-value',
      pollIntervalMs: 0,
      retry: { maxRetries: -1 },
      packageStorage: { connectionString: packageStorage, container: 'x' },
    }));
    const problems = details['problems'] as string[];
    assert.equal(problems.length, 8, problems.join('\n'));
    assert.match(message, /location is missing/);
    assert.match(message, /planSku must be FC1, EP1 or Y1/);
    assert.match(message, /owner is not a router id/);
    assert.match(message, /packageStorage\.container is not a blob container name/);
    assert.match(message, /armToken is only for a loopback armEndpoint/);
    assert.match(message, /armToken and credential contradict each other/);
    assert.match(message, /pollIntervalMs must be/);
    assert.match(message, /retry\.maxRetries must be/);
    assert.doesNotMatch(message, /secret-token-value/);
  });
});
