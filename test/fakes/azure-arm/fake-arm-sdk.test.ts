/**
 * The fake driven by the real SDK clients (@azure/arm-appservice 19, @azure/arm-resources 7) as
 * the Azure adapter drives ARM: long-running operations, settings, names, throttling, deletes, keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Site, WebSiteManagementClient } from '@azure/arm-appservice';
import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { fakeArmClients } from './fake-arm-clients.js';
import { startFakeArmForTests } from './fake-arm-for-tests.js';

const fake = await startFakeArmForTests({ lroDelayMs: 300, pageSize: 2 });
const { web, resources } = fakeArmClients(fake);
const poll = { updateIntervalInMs: 25 };
const location = 'westeurope';
const flexConfig = {
  deployment: { storage: { type: 'blobContainer' as const, value: 'http://127.0.0.1:10000/devstoreaccount1/deployments', authentication: { type: 'SystemAssignedIdentity' as const } } },
  runtime: { name: 'node' as const, version: '22' },
};

async function flexSite(group: string, name: string, settings: Record<string, string> = {}): Promise<Site> {
  await resources.resourceGroups.createOrUpdate(group, { location });
  const plan = await web.appServicePlans.createOrUpdate(group, `${name}-plan`, { location, kind: 'functionapp', sku: { name: 'FC1', tier: 'FlexConsumption' }, reserved: true }, poll);
  return web.webApps.createOrUpdate(group, name, {
    location,
    kind: 'functionapp,linux',
    serverFarmId: plan.id!,
    httpsOnly: true,
    identity: { type: 'SystemAssigned' },
    tags: { 'managed-by': 'durable-router' },
    siteConfig: { appSettings: Object.entries(settings).map(([settingName, value]) => ({ name: settingName, value })) },
    functionAppConfig: flexConfig,
  }, poll);
}

async function rejectsRest(promise: Promise<unknown>, statusCode: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRestError(error), `expected a RestError, got ${String(error)}`);
    assert.equal(error.statusCode, statusCode, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe('the fake ARM through the SDK clients', () => {
  it('creates a group, a Flex plan and a site; the long-running operations complete', async () => {
    const group = await resources.resourceGroups.createOrUpdate('sdk-group', { location: 'West Europe', tags: { team: 'router' } });
    assert.equal(group.name, 'sdk-group');
    assert.equal(group.location, 'westeurope');
    assert.deepEqual(await resources.resourceGroups.checkExistence('sdk-group'), { body: true });
    assert.deepEqual(await resources.resourceGroups.checkExistence('no-group'), { body: false });
    assert.deepEqual((await resources.resourceGroups.get('SDK-GROUP')).tags, { team: 'router' });

    const planPoller = web.appServicePlans.createOrUpdate('sdk-group', 'sdk-plan', { location, kind: 'functionapp', sku: { name: 'FC1', tier: 'FlexConsumption' }, reserved: true }, poll);
    await planPoller.submitted();
    assert.equal((await web.appServicePlans.get('sdk-group', 'sdk-plan')).provisioningState, 'InProgress');
    const plan = await planPoller;
    assert.equal(plan.provisioningState, 'Succeeded');
    assert.equal(plan.sku?.tier, 'FlexConsumption');

    const site = await web.webApps.createOrUpdate('sdk-group', 'sdk-site', {
      location,
      kind: 'functionapp,linux',
      serverFarmId: plan.id!,
      httpsOnly: true,
      identity: { type: 'SystemAssigned' },
      tags: { 'managed-by': 'durable-router', 'route-key': '1.0' },
      functionAppConfig: flexConfig,
    }, poll);
    assert.equal(site.name, 'sdk-site');
    assert.equal(site.state, 'Running');
    assert.match(site.defaultHostName ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(site.hostNames, [site.defaultHostName]);
    assert.equal(site.httpsOnly, true);
    assert.match(site.identity?.principalId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(site.functionAppConfig?.runtime?.name, 'node');
    assert.deepEqual(site.tags, { 'managed-by': 'durable-router', 'route-key': '1.0' });
    assert.equal((await web.appServicePlans.get('sdk-group', 'sdk-plan')).numberOfSites, 1);

    const operations = fake.calls.filter((call) => call.operationId === 'OperationResults_Get');
    assert.ok(operations.some((call) => call.status === 202), 'the poller saw the operations in progress');
    assert.equal(operations.filter((call) => call.status === 200).length, 2, 'and each one end');
    const again = await web.webApps.createOrUpdate('sdk-group', 'SDK-SITE', { location, kind: 'functionapp,linux', serverFarmId: plan.id!, tags: { changed: 'yes' }, functionAppConfig: flexConfig }, poll);
    assert.equal(again.name, 'sdk-site', 'a repeated PUT is the same site');
    assert.equal(again.defaultHostName, site.defaultHostName);
    assert.deepEqual(again.tags, { changed: 'yes' });
    assert.equal(fake.state.sites().filter((listed) => listed.name === 'sdk-site').length, 1);
  });

  it('replaces app settings as a whole, in the dictionary format, and refuses what Flex refuses', async () => {
    await flexSite('settings-group', 'settings-site', { FIRST: 'one' });
    assert.deepEqual((await web.webApps.listApplicationSettings('settings-group', 'settings-site')).properties, { FIRST: 'one' });
    const updated = await web.webApps.updateApplicationSettings('settings-group', 'settings-site', { properties: { SECOND: 'two', AzureWebJobsStorage__accountName: 'account' } });
    assert.deepEqual(updated.properties, { SECOND: 'two', AzureWebJobsStorage__accountName: 'account' });
    assert.deepEqual((await web.webApps.listApplicationSettings('settings-group', 'settings-site')).properties, { SECOND: 'two', AzureWebJobsStorage__accountName: 'account' }, 'FIRST is gone');
    assert.deepEqual(fake.state.sites().find((site) => site.name === 'settings-site')?.settingNames, ['AzureWebJobsStorage__accountName', 'SECOND']);
    await rejectsRest(web.webApps.updateApplicationSettings('settings-group', 'settings-site', { properties: { WEBSITE_RUN_FROM_PACKAGE: '1' } }), 400, /WEBSITE_RUN_FROM_PACKAGE\) for Flex Consumption sites is invalid/);
    await rejectsRest(web.webApps.updateApplicationSettings('settings-group', 'settings-site', { properties: { 'NOT-VALID': 'x' } }), 400, /not a valid app setting name/);
    assert.deepEqual((await web.webApps.listApplicationSettings('settings-group', 'settings-site')).properties, { SECOND: 'two', AzureWebJobsStorage__accountName: 'account' }, 'refused updates change nothing');
  });

  it('says which names are available: a site\'s name is taken everywhere, whatever its casing', async () => {
    await flexSite('names-group', 'taken-name');
    fake.faults.reserveSiteName('someone-elses');
    const check = (name: string) => web.checkNameAvailability(name, 'Microsoft.Web/sites');
    assert.deepEqual(await check('free-name'), { nameAvailable: true, reason: undefined, message: undefined });
    assert.deepEqual(await check('Taken-Name'), { nameAvailable: false, reason: 'AlreadyExists', message: "Hostname 'Taken-Name' already exists. Please select a different name." });
    assert.equal((await check('someone-elses')).reason, 'AlreadyExists');
    assert.equal((await check('-bad-')).reason, 'Invalid');
    const planId = (await web.appServicePlans.get('names-group', 'taken-name-plan')).id!;
    await resources.resourceGroups.createOrUpdate('other-group', { location });
    await rejectsRest(web.webApps.createOrUpdate('other-group', 'TAKEN-NAME', { location, kind: 'functionapp', serverFarmId: planId, functionAppConfig: flexConfig }, poll), 409, /Website with given name TAKEN-NAME already exists/);
    const otherPlan = await web.appServicePlans.createOrUpdate('other-group', 'other-plan', { location, kind: 'functionapp', sku: { name: 'FC1' }, reserved: true }, poll);
    await rejectsRest(web.webApps.createOrUpdate('other-group', 'someone-elses', { location, kind: 'functionapp', serverFarmId: otherPlan.id!, functionAppConfig: flexConfig }, poll), 409, /already exists/);
  });

  it('throttles with 429 and Retry-After, which the SDK waits out and retries; other 4xx are terminal', async () => {
    await flexSite('throttle-group', 'throttled-site');
    fake.faults.fail('WebApps_Get', { status: 429, retryAfterSeconds: 1 });
    const site = await web.webApps.get('throttle-group', 'throttled-site');
    assert.equal(site.name, 'throttled-site');
    const gets = fake.calls.filter((call) => call.operationId === 'WebApps_Get');
    assert.deepEqual(gets.slice(-2).map((call) => call.status), [429, 200]);

    fake.faults.fail('AppServicePlans_CreateOrUpdate', { status: 409, code: 'Conflict', message: 'Another operation is in progress on the plan.' });
    await assert.rejects(web.appServicePlans.createOrUpdate('throttle-group', 'throttled-site-plan', { location, kind: 'functionapp', sku: { name: 'FC1' }, reserved: true }, poll), (error: unknown) => {
      assert.ok(isRestError(error));
      assert.equal(error.statusCode, 409);
      assert.equal(error.code, 'Conflict');
      assert.equal(error.message, 'Another operation is in progress on the plan.');
      return true;
    });
  });

  it('lists sites page by page, following nextLink', async () => {
    await resources.resourceGroups.createOrUpdate('paged-group', { location });
    const plan = await web.appServicePlans.createOrUpdate('paged-group', 'shared-plan', { location, kind: 'functionapp', sku: { name: 'Y1' }, reserved: true }, poll);
    const names = ['paged-a', 'paged-b', 'paged-c', 'paged-d', 'paged-e'];
    for (const name of names) {
      await web.webApps.createOrUpdate('paged-group', name, { location, kind: 'functionapp,linux', serverFarmId: plan.id!, siteConfig: { appSettings: [{ name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }] } }, poll);
    }
    const before = fake.calls.length;
    const listed: string[] = [];
    for await (const site of web.webApps.listByResourceGroup('paged-group')) listed.push(site.name!);
    assert.deepEqual(listed, names);
    assert.equal(fake.calls.slice(before).filter((call) => call.operationId === 'WebApps_ListByResourceGroup').length, 3, 'five sites, two a page');
    const plans: string[] = [];
    for await (const listedPlan of web.appServicePlans.listByResourceGroup('paged-group')) plans.push(listedPlan.name!);
    assert.deepEqual(plans, ['shared-plan']);
  });

  it('deletes a site with its emptied plan unless told to keep it, and plans', async () => {
    await flexSite('delete-group', 'deleted-site');
    await web.webApps.delete('delete-group', 'deleted-site');
    await rejectsRest(web.webApps.get('delete-group', 'deleted-site'), 404);
    await assert.rejects(web.webApps.get('delete-group', 'deleted-site'), (error: unknown) => isRestError(error) && error.code === 'ResourceNotFound');
    await rejectsRest(web.appServicePlans.get('delete-group', 'deleted-site-plan'), 404);
    await rejectsRest(web.webApps.delete('delete-group', 'deleted-site'), 404);

    await flexSite('delete-group', 'kept-plan-site');
    await web.webApps.delete('delete-group', 'kept-plan-site', { deleteEmptyServerFarm: false });
    assert.equal((await web.appServicePlans.get('delete-group', 'kept-plan-site-plan')).numberOfSites, 0);
    await web.appServicePlans.delete('delete-group', 'kept-plan-site-plan');
    await web.appServicePlans.delete('delete-group', 'kept-plan-site-plan');
    assert.deepEqual(fake.calls.filter((call) => call.operationId === 'AppServicePlans_Delete').map((call) => call.status), [200, 204]);
    assert.deepEqual(fake.state.plans().filter((plan) => plan.resourceGroup === 'delete-group'), []);
  });

  it('refuses the flat key body the SDK sends with the service\'s 400, and takes the body the service wants', async () => {
    await flexSite('keys-group', 'keys-site');
    const value = 'shared-key-value-0123456789-abcdefghij';
    await rejectsRest(web.webApps.createOrUpdateHostSecret('keys-group', 'keys-site', 'functionKeys', 'shared', { name: 'shared', value }), 400, /^Properties object is not present in the request body\.$/);
    const wrapped = withWrappedKeyBodies(fakeArmClients(fake).web);
    await wrapped.webApps.createOrUpdateHostSecret('keys-group', 'keys-site', 'functionKeys', 'shared', { name: 'shared', value });
    const keys = await web.webApps.listHostKeys('keys-group', 'keys-site');
    assert.equal(keys.functionKeys?.['shared'], value);
    assert.ok(typeof keys.functionKeys?.['default'] === 'string' && keys.masterKey !== undefined && typeof keys.systemKeys?.['durabletask_extension'] === 'string');
    await wrapped.webApps.createOrUpdateHostSecret('keys-group', 'keys-site', 'systemKeys', 'durabletask_extension', { name: 'durabletask_extension', value });
    assert.equal((await web.webApps.listHostKeys('keys-group', 'keys-site')).systemKeys?.['durabletask_extension'], value);
    assert.deepEqual(fake.calls.filter((call) => call.operationId === 'WebApps_CreateOrUpdateHostSecret').map((call) => call.status), [400, 201, 200]);
  });

  it('answers syncFunctionTriggers 200 as the live service does, which the SDK (expecting 204) takes for an error', async () => {
    await flexSite('sync-group', 'sync-site');
    await rejectsRest(web.webApps.syncFunctionTriggers('sync-group', 'sync-site'), 200);
    const specFaithful = await startFakeArmForTests({ syncTriggersStatus: 204 });
    const clients = fakeArmClients(specFaithful);
    await clients.resources.resourceGroups.createOrUpdate('sync-group', { location });
    const plan = await clients.web.appServicePlans.createOrUpdate('sync-group', 'y1', { location, sku: { name: 'Y1' }, reserved: true }, poll);
    await clients.web.webApps.createOrUpdate('sync-group', 'sync-site-204', { location, kind: 'functionapp,linux', serverFarmId: plan.id! }, poll);
    await clients.web.webApps.syncFunctionTriggers('sync-group', 'sync-site-204');
  });
});

/** What the adapter does about the SDK's key-body bug: a policy that wraps `{ name, value }` in `properties`. */
function withWrappedKeyBodies(client: WebSiteManagementClient): WebSiteManagementClient {
  const policy: PipelinePolicy = {
    name: 'wrapKeyBodies',
    sendRequest: async (request, next) => {
      if (request.method === 'PUT' && /\/host\/default\/[^/]+\/[^/?]+\?/i.test(request.url) && typeof request.body === 'string') {
        const body = JSON.parse(request.body) as Record<string, unknown>;
        if (body['properties'] === undefined) request.body = JSON.stringify({ properties: body });
      }
      return next(request);
    },
  };
  client.pipeline.addPolicy(policy);
  return client;
}
