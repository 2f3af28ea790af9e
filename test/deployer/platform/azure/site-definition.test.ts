import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDefinition } from '../../../../deployer/platform/azure/hosting-plans.js';
import { deploymentStorageSetting, flexRefusedSettingNames } from '../../../../deployer/platform/azure/site-app-settings.js';
import { siteDefinition } from '../../../../deployer/platform/azure/site-definition.js';

const input = {
  appName: 'dr-default-v1-2',
  location: 'westeurope',
  planId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/serverfarms/p',
  tags: { 'managed-by': 'durable-router' },
  packageStorageConnectionString: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net',
};

describe('site and plan definitions', () => {
  it('defines a Flex app with functionAppConfig and none of the settings Flex refuses', () => {
    const site = siteDefinition({ ...input, sku: 'FC1', deploymentContainerUrl: 'https://a.blob.core.windows.net/deploy-x' });
    assert.equal(site.kind, 'functionapp,linux');
    assert.equal(site.reserved, true);
    assert.equal(site.httpsOnly, true);
    assert.deepEqual(site.identity, { type: 'SystemAssigned' });
    assert.deepEqual(site.functionAppConfig?.runtime, { name: 'node', version: '22' });
    assert.deepEqual(site.functionAppConfig?.deployment?.storage, {
      type: 'blobContainer',
      value: 'https://a.blob.core.windows.net/deploy-x',
      authentication: { type: 'StorageAccountConnectionString', storageAccountConnectionStringName: deploymentStorageSetting },
    });
    assert.equal(site.siteConfig?.linuxFxVersion, undefined);
    const names = (site.siteConfig?.appSettings ?? []).map((setting) => setting.name ?? '');
    assert.deepEqual(names, [deploymentStorageSetting]);
    assert.ok(names.every((name) => !flexRefusedSettingNames.includes(name)));
  });

  it('defines EP1 and Y1 apps with linuxFxVersion and the worker settings', () => {
    for (const sku of ['EP1', 'Y1'] as const) {
      const site = siteDefinition({ ...input, sku });
      assert.equal(site.functionAppConfig, undefined);
      assert.equal(site.siteConfig?.linuxFxVersion, 'Node|22');
      const settings = Object.fromEntries((site.siteConfig?.appSettings ?? []).map((setting) => [setting.name, setting.value]));
      assert.equal(settings['FUNCTIONS_WORKER_RUNTIME'], 'node');
      assert.equal(settings['FUNCTIONS_EXTENSION_VERSION'], '~4');
      assert.equal('WEBSITE_CONTENTSHARE' in settings, sku === 'EP1');
    }
  });

  it('defines Linux plans of the SKU', () => {
    assert.deepEqual(planDefinition('FC1', 'westeurope', { a: 'b' }), { location: 'westeurope', kind: 'functionapp', tags: { a: 'b' }, sku: { name: 'FC1', tier: 'FlexConsumption' }, reserved: true });
    assert.equal(planDefinition('EP1', 'westeurope', {}).sku?.tier, 'ElasticPremium');
    assert.equal(planDefinition('Y1', 'westeurope', {}).sku?.tier, 'Dynamic');
  });
});
