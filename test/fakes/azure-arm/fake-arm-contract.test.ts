/**
 * The REST contract the fake enforces, as raw HTTP: authentication, api-version, paths matched
 * case-insensitively, ARM's 404s, request bodies, names, Flex Consumption's rules, long-running
 * operations, both error shapes, and faults injected over HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { armCall, armErrorOf, pollUntil, startFakeArmForTests, type RawArmAnswer } from './fake-arm-for-tests.js';

const fake = await startFakeArmForTests({ lroDelayMs: 200 });
const sub = `/subscriptions/${fake.subscriptionId}`;
const web = (group: string): string => `${sub}/resourceGroups/${group}/providers/Microsoft.Web`;
const flexConfig = {
  deployment: { storage: { type: 'blobContainer', value: 'http://127.0.0.1:10000/devstoreaccount1/deployments', authentication: { type: 'SystemAssignedIdentity' } } },
  runtime: { name: 'node', version: '22' },
};

async function put(path: string, body: unknown, apiVersion?: string): Promise<RawArmAnswer> {
  return armCall(fake, { method: 'PUT', path, body, ...(apiVersion === undefined ? {} : { apiVersion }) });
}

async function createGroup(name: string): Promise<void> {
  const answer = await put(`${sub}/resourcegroups/${name}`, { location: 'westeurope' }, '2025-04-01');
  assert.ok(answer.status === 201 || answer.status === 200, JSON.stringify(answer.body));
}

/** PUTs and follows the Location URL to the end; the last answer. */
async function putAndWait(path: string, body: unknown): Promise<RawArmAnswer> {
  const accepted = await put(path, body);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const location = accepted.headers['location'];
  assert.ok(location !== undefined);
  return pollUntil('the operation to end', 10_000, async () => {
    const polled = await armCall(fake, { method: 'GET', path: location.slice(fake.endpoint.length) });
    return polled.status === 202 ? undefined : polled;
  });
}

async function createFlexPlan(group: string, name: string): Promise<string> {
  const done = await putAndWait(`${web(group)}/serverfarms/${name}`, { location: 'westeurope', kind: 'functionapp', sku: { name: 'FC1', tier: 'FlexConsumption' }, properties: { reserved: true } });
  assert.equal(done.status, 200);
  return (done.body as { id: string }).id;
}

describe('the fake ARM REST contract', () => {
  it('demands the bearer token', async () => {
    const missing = await armCall(fake, { method: 'GET', path: `${sub}/resourcegroups/anything`, apiVersion: '2025-04-01', token: null });
    assert.equal(missing.status, 401);
    assert.equal(armErrorOf(missing).code, 'AuthenticationFailed');
    assert.match(missing.headers['www-authenticate'] ?? '', /^Bearer /);
    const wrong = await armCall(fake, { method: 'GET', path: `${sub}/resourcegroups/anything`, apiVersion: '2025-04-01', token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.equal(armErrorOf(wrong).code, 'InvalidAuthenticationToken');
    const control = await armCall(fake, { method: 'GET', path: '/__fake/state', apiVersion: null, token: null });
    assert.equal(control.status, 401, 'the control surface wants the token too');
  });

  it('answers ARM\'s 404s in ARM\'s order: subscription, resource group, resource', async () => {
    const subscription = await armCall(fake, { method: 'GET', path: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/g/providers/Microsoft.Web/sites/s' });
    assert.deepEqual([subscription.status, armErrorOf(subscription).code], [404, 'SubscriptionNotFound']);
    const group = await armCall(fake, { method: 'GET', path: `${web('nowhere')}/sites/s` });
    assert.deepEqual([group.status, armErrorOf(group)], [404, { code: 'ResourceGroupNotFound', message: "Resource group 'nowhere' could not be found." }]);
    await createGroup('found-group');
    const site = await armCall(fake, { method: 'GET', path: `${web('found-group')}/sites/missing-site` });
    assert.deepEqual([site.status, armErrorOf(site).code], [404, 'ResourceNotFound']);
    assert.match(armErrorOf(site).message, /Microsoft\.Web\/sites\/missing-site' under resource group 'found-group' was not found/);
    const checked = await armCall(fake, { method: 'HEAD', path: `${sub}/resourcegroups/nowhere`, apiVersion: '2025-04-01' });
    assert.equal(checked.status, 404);
    assert.equal((await armCall(fake, { method: 'HEAD', path: `${sub}/resourcegroups/FOUND-GROUP`, apiVersion: '2025-04-01' })).status, 204);
    const unrouted = await armCall(fake, { method: 'GET', path: `${web('found-group')}/certificates` });
    assert.deepEqual([unrouted.status, armErrorOf(unrouted).code], [404, 'NotServedByFakeArm']);
  });

  it('matches paths and names case-insensitively', async () => {
    await createGroup('Casing-Group');
    const planId = await createFlexPlan('casing-group', 'Casing-Plan');
    assert.match(planId, /\/resourceGroups\/Casing-Group\/providers\/Microsoft\.Web\/serverfarms\/Casing-Plan$/, 'ids keep the casing of creation');
    const fetched = await armCall(fake, { method: 'GET', path: `/SUBSCRIPTIONS/${fake.subscriptionId}/RESOURCEGROUPS/CASING-GROUP/PROVIDERS/microsoft.web/SERVERFARMS/casing-plan` });
    assert.equal(fetched.status, 200);
    assert.equal((fetched.body as { name: string }).name, 'Casing-Plan');
  });

  it('validates request bodies', async () => {
    const noLocation = await put(`${sub}/resourcegroups/body-group`, { tags: {} }, '2025-04-01');
    assert.deepEqual([noLocation.status, armErrorOf(noLocation).code], [400, 'LocationRequired']);
    const notJson = await armCall(fake, { method: 'PUT', path: `${sub}/resourcegroups/body-group`, apiVersion: '2025-04-01', body: '{"location":' });
    assert.deepEqual([notJson.status, armErrorOf(notJson).code], [400, 'InvalidRequestContent']);
    const notJsonType = await armCall(fake, { method: 'PUT', path: `${sub}/resourcegroups/body-group`, apiVersion: '2025-04-01', body: '{"location":"westeurope"}', contentType: 'text/plain' });
    assert.equal(notJsonType.status, 415);
    const badTags = await put(`${sub}/resourcegroups/body-group`, { location: 'westeurope', tags: { 'a/b': 'x' } }, '2025-04-01');
    assert.deepEqual([badTags.status, armErrorOf(badTags).code], [400, 'InvalidTagNameCharacters']);
    const badName = await put(`${sub}/resourcegroups/bad.`, { location: 'westeurope' }, '2025-04-01');
    assert.equal(badName.status, 400);
    await createGroup('body-group');
    const moved = await put(`${sub}/resourcegroups/body-group`, { location: 'eastus' }, '2025-04-01');
    assert.deepEqual([moved.status, armErrorOf(moved).code], [409, 'InvalidResourceGroupLocation']);

    const noSku = await put(`${web('body-group')}/serverfarms/plan-x`, { location: 'westeurope' });
    assert.equal(noSku.status, 400);
    assert.match(armErrorOf(noSku).message, /sku/);
    const unknownSku = await put(`${web('body-group')}/serverfarms/plan-x`, { location: 'westeurope', sku: { name: 'Z9' } });
    assert.equal(unknownSku.status, 400);
    const windowsFlex = await put(`${web('body-group')}/serverfarms/plan-x`, { location: 'westeurope', sku: { name: 'FC1' } });
    assert.equal(windowsFlex.status, 400);
    assert.match(armErrorOf(windowsFlex).message, /Linux only/);

    const badPlanName = await put(`${web('body-group')}/serverfarms/plan_x`, { location: 'westeurope', sku: { name: 'EP1' }, properties: { reserved: true } });
    assert.equal(badPlanName.status, 400);
    assert.equal((await put(`${web('body-group')}/serverfarms/p`, { location: 'westeurope', sku: { name: 'EP1' }, properties: { reserved: true } })).status, 202, 'a plan name may be one character');

    const badSiteName = await put(`${web('body-group')}/sites/-leading-hyphen`, { location: 'westeurope', kind: 'functionapp' });
    assert.equal(badSiteName.status, 400);
    assert.match(armErrorOf(badSiteName).message, /2 to 60 letters, digits and hyphens/);
    const tooLong = await put(`${web('body-group')}/sites/${'a'.repeat(61)}`, { location: 'westeurope', kind: 'functionapp' });
    assert.equal(tooLong.status, 400);
    const noPlan = await put(`${web('body-group')}/sites/site-without-plan`, { location: 'westeurope', kind: 'functionapp,linux', properties: {} });
    assert.equal(noPlan.status, 400);
    assert.match(armErrorOf(noPlan).message, /serverFarmId/);
    const missingPlan = await put(`${web('body-group')}/sites/site-missing-plan`, {
      location: 'westeurope',
      kind: 'functionapp,linux',
      properties: { serverFarmId: `${web('body-group')}/serverfarms/not-there` },
    });
    assert.equal(missingPlan.status, 404);
    const webApp = await put(`${web('body-group')}/sites/a-web-app`, { location: 'westeurope', kind: 'app', properties: { serverFarmId: `${web('body-group')}/serverfarms/not-there` } });
    assert.equal(webApp.status, 400);
    assert.match(armErrorOf(webApp).message, /Function Apps only/);
    const wrongType = await put(`${web('body-group')}/sites/typed-site`, { location: 'westeurope', kind: 'functionapp', properties: { httpsOnly: 'yes' } });
    assert.equal(wrongType.status, 400);
    assert.match(armErrorOf(wrongType).message, /httpsOnly/);
    assert.deepEqual(fake.state.sites().filter((site) => site.resourceGroup === 'body-group'), [], 'refused requests change nothing');
  });

  it('keeps Flex Consumption\'s rules: one site per plan, functionAppConfig required, runtime settings refused', async () => {
    await createGroup('flex-group');
    const planId = await createFlexPlan('flex-group', 'flex-plan');
    const site = (name: string, properties: Record<string, unknown>): Promise<RawArmAnswer> =>
      put(`${web('flex-group')}/sites/${name}`, { location: 'westeurope', kind: 'functionapp,linux', properties: { serverFarmId: planId, ...properties } });
    const noConfig = await site('flex-site', {});
    assert.equal(noConfig.status, 400);
    assert.match(armErrorOf(noConfig).message, /functionAppConfig/);
    const noRuntime = await site('flex-site', { functionAppConfig: { deployment: flexConfig.deployment } });
    assert.equal(noRuntime.status, 400);
    assert.match(armErrorOf(noRuntime).message, /runtime/);
    const refused = await site('flex-site', { functionAppConfig: flexConfig, siteConfig: { appSettings: [{ name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }] } });
    assert.deepEqual([refused.status, armErrorOf(refused).message], [
      400,
      'The following app setting (Site.SiteConfig.AppSettings.FUNCTIONS_WORKER_RUNTIME) for Flex Consumption sites is invalid. Please remove or rename it before retrying.',
    ]);
    const refusedTwo = await site('flex-site', {
      functionAppConfig: flexConfig,
      siteConfig: { appSettings: [{ name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }, { name: 'website_node_default_version', value: '~22' }] },
    });
    assert.match(armErrorOf(refusedTwo).message, /^The following list of 2 app settings \(Site\.SiteConfig\.AppSettings\.WEBSITE_RUN_FROM_PACKAGE, Site\.SiteConfig\.AppSettings\.website_node_default_version\)/);
    const fx = await site('flex-site', { functionAppConfig: flexConfig, siteConfig: { linuxFxVersion: 'Node|22' } });
    assert.match(armErrorOf(fx).message, /Site\.SiteConfig\.LinuxFxVersion/);

    const created = await site('flex-site', { functionAppConfig: flexConfig, siteConfig: { appSettings: [{ name: 'AzureWebJobsStorage__accountName', value: 'account' }] } });
    assert.equal(created.status, 202);
    const second = await site('flex-site-two', { functionAppConfig: flexConfig });
    assert.equal(second.status, 409);
    assert.match(armErrorOf(second).message, /already hosts the site 'flex-site': a Flex Consumption plan holds one site/);

    const settings = await armCall(fake, { method: 'PUT', path: `${web('flex-group')}/sites/flex-site/config/appsettings`, body: { properties: { FUNCTIONS_EXTENSION_VERSION: '~4' } } });
    assert.equal(settings.status, 400);
    assert.match(armErrorOf(settings).message, /FUNCTIONS_EXTENSION_VERSION\) for Flex Consumption sites is invalid/);
    const arrayForm = await armCall(fake, { method: 'PUT', path: `${web('flex-group')}/sites/flex-site/config/appsettings`, body: { properties: [{ name: 'A', value: 'b' }] } });
    assert.equal(arrayForm.status, 400, 'the settings API takes a dictionary, not the siteConfig array');
    const oneDeploy = `${web('flex-group')}/sites/flex-site/extensions/onedeploy`;
    const noBody = await armCall(fake, { method: 'PUT', path: oneDeploy });
    assert.equal(noBody.status, 400);
    assert.match(armErrorOf(noBody).message, /needs the body \{ properties: \{ type: 'zip', packageUri/);
    const noUri = await armCall(fake, { method: 'PUT', path: oneDeploy, body: { properties: { type: 'zip' } } });
    assert.match(armErrorOf(noUri).message, /no 'packageUri'/);
    const noDeployment = await armCall(fake, { method: 'GET', path: oneDeploy });
    assert.equal(noDeployment.status, 404);
    const blocked = await armCall(fake, { method: 'DELETE', path: `${web('flex-group')}/serverfarms/flex-plan` });
    assert.deepEqual([blocked.status, armErrorOf(blocked).code], [409, 'Conflict']);
  });

  it('runs plan and site creation as long-running operations: 202, InProgress, then the Location URL answers the resource', async () => {
    await createGroup('lro-group');
    const accepted = await put(`${web('lro-group')}/serverfarms/lro-plan`, { location: 'westeurope', sku: { name: 'EP1' }, properties: { reserved: true } });
    assert.equal(accepted.status, 202);
    assert.equal((accepted.body as { properties: { provisioningState: string } }).properties.provisioningState, 'InProgress');
    assert.match(accepted.headers['retry-after'] ?? '', /^\d+$/);
    const location = accepted.headers['location']!;
    assert.ok(location.startsWith(`${fake.endpoint}/subscriptions/${fake.subscriptionId}/providers/Microsoft.Web/locations/westeurope/operationResults/`));
    const meanwhile = await armCall(fake, { method: 'GET', path: `${web('lro-group')}/serverfarms/lro-plan` });
    assert.equal((meanwhile.body as { properties: { provisioningState: string } }).properties.provisioningState, 'InProgress');
    const early = await armCall(fake, { method: 'POST', path: `${web('lro-group')}/sites/too-early`, body: {} });
    assert.equal(early.status, 405, 'unrelated: POST on a site is not an operation');
    const siteOnPendingPlan = await put(`${web('lro-group')}/sites/too-early`, { location: 'westeurope', kind: 'functionapp', properties: { serverFarmId: (accepted.body as { id: string }).id } });
    assert.equal(siteOnPendingPlan.status, 409, 'a site waits for its plan');
    const finished = await pollUntil('the plan to be created', 10_000, async () => {
      const polled = await armCall(fake, { method: 'GET', path: location.slice(fake.endpoint.length) });
      if (polled.status === 202) {
        assert.equal(polled.headers['location'], location);
        return undefined;
      }
      return polled;
    });
    assert.equal(finished.status, 200);
    assert.equal((finished.body as { properties: { provisioningState: string; status: string } }).properties.provisioningState, 'Succeeded');
    const again = await putAndWait(`${web('lro-group')}/serverfarms/lro-plan`, { location: 'westeurope', sku: { name: 'EP1' }, tags: { again: 'yes' }, properties: { reserved: true } });
    assert.deepEqual((again.body as { tags: Record<string, string> }).tags, { again: 'yes' }, 'a repeated PUT updates the same plan');
    assert.equal(fake.state.plans().filter((plan) => plan.name === 'lro-plan').length, 1);
  });

  it('answers injected faults over HTTP, in either error shape', async () => {
    await createGroup('fault-group');
    const inject = await armCall(fake, {
      method: 'POST',
      path: '/__fake/faults',
      apiVersion: null,
      body: { action: 'fail', operationId: 'AppServicePlans_Get', status: 503, retryAfterSeconds: 2, shape: 'pascal', times: 2, message: 'Busy.' },
    });
    assert.equal(inject.status, 204);
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await armCall(fake, { method: 'GET', path: `${web('fault-group')}/serverfarms/any` });
      assert.equal(failed.status, 503);
      assert.equal(failed.headers['retry-after'], '2');
      assert.deepEqual(failed.body, {
        Code: 'ServiceUnavailable',
        Message: 'Busy.',
        Target: null,
        Details: [{ Message: 'Busy.' }, { Code: 'ServiceUnavailable' }, { ErrorEntity: { Code: 'ServiceUnavailable', Message: 'Busy.' } }],
        Innererror: null,
      });
    }
    const after = await armCall(fake, { method: 'GET', path: `${web('fault-group')}/serverfarms/any` });
    assert.deepEqual([after.status, armErrorOf(after).code], [404, 'ResourceNotFound'], 'the fault is used up');
    const typo = await armCall(fake, { method: 'POST', path: '/__fake/faults', apiVersion: null, body: { action: 'fail', operationId: 'WebApps_Gett', status: 500 } });
    assert.equal(typo.status, 400);
    assert.match(armErrorOf(typo).message, /serves no operation "WebApps_Gett"/);
    const state = await armCall(fake, { method: 'GET', path: '/__fake/state', apiVersion: null });
    assert.ok((state.body as { resourceGroups: { name: string }[] }).resourceGroups.some((group) => group.name === 'fault-group'));
    const calls = await armCall(fake, { method: 'GET', path: '/__fake/calls', apiVersion: null });
    const recorded = (calls.body as { calls: { operationId: string; status: number; path: string }[] }).calls.filter((call) => call.operationId === 'AppServicePlans_Get');
    assert.deepEqual(recorded.slice(-3).map((call) => call.status), [503, 503, 404]);
    assert.ok(recorded.every((call) => !call.path.includes('?')), 'paths are recorded without their query');
  });

  it('sends App Service errors in the live service\'s PascalCase form when asked to, and ARM\'s own errors wrapped', async () => {
    const pascal = await startFakeArmForTests({ appServiceErrorShape: 'pascal' });
    const group = await armCall(pascal, { method: 'GET', path: `/subscriptions/${pascal.subscriptionId}/resourceGroups/shape-group/providers/Microsoft.Web/sites/s` });
    assert.equal(armErrorOf(group).code, 'ResourceGroupNotFound', 'ARM itself answers a missing group, in its envelope');
    const created = await armCall(pascal, { method: 'PUT', path: `/subscriptions/${pascal.subscriptionId}/resourcegroups/shape-group`, apiVersion: '2025-04-01', body: { location: 'westeurope' } });
    assert.equal(created.status, 201);
    const moved = await armCall(pascal, { method: 'PUT', path: `/subscriptions/${pascal.subscriptionId}/resourcegroups/shape-group`, apiVersion: '2025-04-01', body: { location: 'eastus' } });
    assert.equal(armErrorOf(moved).code, 'InvalidResourceGroupLocation', 'Microsoft.Resources keeps the envelope');
    const site = await armCall(pascal, { method: 'GET', path: `/subscriptions/${pascal.subscriptionId}/resourceGroups/shape-group/providers/Microsoft.Web/sites/s` });
    assert.deepEqual([site.status, (site.body as { Code: string; Message: string }).Code], [404, 'ResourceNotFound']);
  });

  it('keeps and changes tags at a scope', async () => {
    await createGroup('tag-group');
    const scope = `${sub}/resourceGroups/tag-group`;
    const replaced = await armCall(fake, { method: 'PUT', path: `${scope}/providers/Microsoft.Resources/tags/default`, apiVersion: '2025-04-01', body: { properties: { tags: { a: '1', b: '2' } } } });
    assert.deepEqual((replaced.body as { properties: { tags: Record<string, string> } }).properties.tags, { a: '1', b: '2' });
    const merged = await armCall(fake, { method: 'PATCH', path: `${scope}/providers/Microsoft.Resources/tags/default`, apiVersion: '2025-04-01', body: { operation: 'Merge', properties: { tags: { c: '3' } } } });
    assert.deepEqual((merged.body as { properties: { tags: Record<string, string> } }).properties.tags, { a: '1', b: '2', c: '3' });
    const deleted = await armCall(fake, { method: 'PATCH', path: `${scope}/providers/Microsoft.Resources/tags/default`, apiVersion: '2025-04-01', body: { operation: 'Delete', properties: { tags: { a: '' } } } });
    assert.deepEqual((deleted.body as { properties: { tags: Record<string, string> } }).properties.tags, { b: '2', c: '3' });
    assert.deepEqual(fake.state.resourceGroups().find((group) => group.name === 'tag-group')?.tags, { b: '2', c: '3' });
  });
});
