/**
 * The fake's sites really run: a package deployed with OneDeploy runs as a process of the local
 * Functions host, answers over HTTPS at the site's defaultHostName (trusting the test CA), has real
 * keys and functions; failed deployments say why and leave the running code alone; restart, stop,
 * start and delete act on the process; stopping the fake leaves no process behind.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Site } from '@azure/arm-appservice';
import { isRestError } from '@azure/core-rest-pipeline';
import { request, type Agent } from 'undici';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { processExists } from '../../fixtures/process-exists.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { buildContractPackages, type AppInfo, type ContractPackages } from '../../deployer/platform/platform-contract.js';
import { fakeArmClients, type FakeArmClients } from './fake-arm-clients.js';
import { armCall, armErrorOf, pollUntil, servePackage, siteAgent, startFakeArmForTests, startOneDeploy, waitForDeployment, type PackageServer } from './fake-arm-for-tests.js';
import type { FakeArm } from './fake-arm.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `fake-arm-sites-${randomUUID()}`);
const fake = await startFakeArmForTests();
const clients = fakeArmClients(fake);
const { web } = clients;
const location = 'westeurope';
const agent = siteAgent();
let packages: ContractPackages;
const servers: Record<'v1' | 'v2' | 'broken', PackageServer> = {} as Record<'v1' | 'v2' | 'broken', PackageServer>;

before(async () => {
  packages = await buildContractPackages(workDir);
  servers.v1 = await servePackage(packages.v1.path);
  servers.v2 = await servePackage(packages.v2Zip.path);
  servers.broken = await servePackage(packages.broken.path);
});

after(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
  await agent.close();
  await rm(workDir, { recursive: true, force: true });
});

/** A Flex site with its own task hub on the test Azurite, as the router configures apps. */
async function createSite(target: FakeArmClients, group: string, name: string): Promise<Site> {
  await target.resources.resourceGroups.createOrUpdate(group, { location });
  const plan = await target.web.appServicePlans.createOrUpdate(group, `${name}-plan`, { location, kind: 'functionapp', sku: { name: 'FC1' }, reserved: true }, { updateIntervalInMs: 25 });
  return target.web.webApps.createOrUpdate(group, name, {
    location,
    kind: 'functionapp,linux',
    serverFarmId: plan.id!,
    httpsOnly: true,
    siteConfig: {
      appSettings: [
        { name: 'AzureWebJobsStorage', value: azurite.connectionString },
        { name: 'AzureFunctionsJobHost__extensions__durableTask__hubName', value: `Hub${name.replace(/-/g, '')}` },
        { name: 'FIXTURE_MESSAGE', value: 'from app settings' },
      ],
    },
    functionAppConfig: {
      deployment: { storage: { type: 'blobContainer', value: 'http://127.0.0.1:10000/devstoreaccount1/deployments', authentication: { type: 'SystemAssignedIdentity' } } },
      runtime: { name: 'node', version: '22' },
    },
  }, { updateIntervalInMs: 25 });
}

async function deploy(target: FakeArm, targetClients: FakeArmClients, group: string, site: string, server: PackageServer): Promise<Record<string, unknown>> {
  const accepted = await startOneDeploy(target, targetClients.web, group, site, server.url);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  return waitForDeployment(targetClients.web, group, site);
}

async function info(site: Site, via: Agent = agent): Promise<AppInfo> {
  const response = await request(`https://${site.defaultHostName}/api/info`, { dispatcher: via });
  const text = await response.body.text();
  assert.equal(response.statusCode, 200, text);
  return JSON.parse(text) as AppInfo;
}

async function waitForExit(pid: number): Promise<void> {
  await pollUntil(`process ${pid} to exit`, 30_000, async () => (processExists(pid) ? undefined : true));
}

describe('sites of the fake ARM', () => {
  it('run a deployed package: OneDeploy ends in success, the site answers over HTTPS, with real keys and functions', async () => {
    const site = await createSite(clients, 'run-group', 'running-site');
    assert.equal((await web.webApps.listFunctions('run-group', 'running-site').next()).done, true, 'nothing deployed: no functions');
    const accepted = await startOneDeploy(fake, web, 'run-group', 'running-site', servers.v1.url);
    assert.equal(accepted.status, 202);
    assert.equal((accepted.body as { properties: { status: number; complete: boolean } }).properties.complete, false);
    const status = await waitForDeployment(web, 'run-group', 'running-site');
    assert.equal(status['status'], 4, JSON.stringify(status));
    assert.equal(status['active'], true);
    assert.equal(status['deployer'], 'OneDeploy');
    assert.ok(!JSON.stringify(status).includes('not-a-real-signature'), 'the package URL\'s SAS is never echoed');
    assert.equal(servers.v1.requests, 1);

    const answered = await info(site);
    assert.equal(answered.version, '1.0.0');
    assert.equal(answered.message, 'from app settings');
    assert.equal(answered.siteName, 'running-site');

    const keys = await web.webApps.listHostKeys('run-group', 'running-site');
    assert.ok((keys.masterKey ?? '').length >= 40);
    const functionsResponse = await request(`https://${site.defaultHostName}/admin/functions`, { dispatcher: agent, headers: { 'x-functions-key': keys.masterKey! } });
    assert.equal(functionsResponse.statusCode, 200, 'the master key ARM lists is the host\'s');
    await functionsResponse.body.dump();

    const functions = [];
    for await (const listed of web.webApps.listFunctions('run-group', 'running-site')) functions.push(listed);
    assert.deepEqual(functions.map((listed) => [listed.name, listed.invokeUrlTemplate, listed.isDisabled, listed.language]).sort(), [
      ['running-site/guarded', `https://${site.defaultHostName}/api/guarded`, false, 'node'],
      ['running-site/info', `https://${site.defaultHostName}/api/info`, false, 'node'],
    ]);
    assert.ok(functions.every((listed) => listed.functionAppId === site.id));
    assert.deepEqual(fake.backgroundFailures, []);
  });

  it('report a failed deployment\'s reason and keep the code that ran', async () => {
    const site = await createSite(clients, 'failing-group', 'failing-site');
    assert.equal((await deploy(fake, clients, 'failing-group', 'failing-site', servers.v1))['status'], 4);
    fake.faults.failNextDeployment('failing-site', 'Injected: the package is corrupt.');
    const injected = await deploy(fake, clients, 'failing-group', 'failing-site', servers.v2);
    assert.deepEqual([injected['status'], injected['status_text'], injected['complete'], injected['active']], [3, 'Injected: the package is corrupt.', true, false]);
    assert.equal((await info(site)).version, '1.0.0');

    const broken = await deploy(fake, clients, 'failing-group', 'failing-site', servers.broken);
    assert.equal(broken['status'], 3);
    assert.match(String(broken['status_text']), /boom at load/, 'the host\'s own words');
    assert.equal((await info(site)).version, '1.0.0');

    fake.faults.delay('WebApps_CreateOneDeployOperation', 400);
    const first = await startOneDeploy(fake, web, 'failing-group', 'failing-site', servers.v2.url);
    const second = await startOneDeploy(fake, web, 'failing-group', 'failing-site', servers.v2.url);
    fake.faults.delay('WebApps_CreateOneDeployOperation', 0);
    assert.deepEqual([first.status, second.status], [202, 409]);
    assert.equal((await waitForDeployment(web, 'failing-group', 'failing-site'))['status'], 4);
    assert.equal((await info(site)).version, '1.0.1');
    assert.deepEqual(fake.state.sites().find((listed) => listed.name === 'failing-site')?.deployments.map((deployment) => deployment.status), [4, 3, 3, 4]);

    const remote = await startOneDeploy(fake, web, 'failing-group', 'failing-site', 'https://example.blob.core.windows.net/packages/app.zip');
    assert.equal(remote.status, 400, 'the fake fetches from loopback only');
  });

  it('restart, stop and start their process, take new settings, and go with delete', async () => {
    const site = await createSite(clients, 'lifecycle-group', 'lifecycle-site');
    await deploy(fake, clients, 'lifecycle-group', 'lifecycle-site', servers.v1);
    const { pid: first } = await info(site);
    await web.webApps.restart('lifecycle-group', 'lifecycle-site', { synchronous: true });
    const { pid: second } = await info(site);
    assert.notEqual(second, first);
    await waitForExit(first);

    await web.webApps.stop('lifecycle-group', 'lifecycle-site');
    const stopped = await request(`https://${site.defaultHostName}/api/info`, { dispatcher: agent });
    assert.equal(stopped.statusCode, 403);
    assert.match(await stopped.body.text(), /This web app is stopped/);
    await waitForExit(second);
    assert.equal((await web.webApps.get('lifecycle-group', 'lifecycle-site')).state, 'Stopped');
    await assert.rejects(web.webApps.listFunctions('lifecycle-group', 'lifecycle-site').next(), (error: unknown) => isRestError(error) && error.statusCode === 400);
    const listing = await armCall(fake, { method: 'GET', path: `${site.id}/functions` });
    assert.deepEqual(armErrorOf(listing), { code: 'BadRequest', message: 'Encountered an error (ServiceUnavailable) from host runtime.' });

    await web.webApps.start('lifecycle-group', 'lifecycle-site');
    const { pid: third, message } = await info(site);
    assert.equal(message, 'from app settings');
    const settings = (await web.webApps.listApplicationSettings('lifecycle-group', 'lifecycle-site')).properties ?? {};
    await web.webApps.updateApplicationSettings('lifecycle-group', 'lifecycle-site', { properties: { ...settings, FIXTURE_MESSAGE: 'changed' } });
    const changed = await info(site);
    assert.equal(changed.message, 'changed');
    assert.notEqual(changed.pid, third);

    await web.webApps.delete('lifecycle-group', 'lifecycle-site');
    await waitForExit(changed.pid);
    await assert.rejects(request(`https://${site.defaultHostName}/api/info`, { dispatcher: agent }), 'the HTTPS front is gone');
  });

  it('stop with the fake, leaving no process behind', async () => {
    const own = await startFakeArmForTests();
    const ownClients = fakeArmClients(own);
    const site = await createSite(ownClients, 'stop-group', 'stopping-site');
    await deploy(own, ownClients, 'stop-group', 'stopping-site', servers.v1);
    const { pid } = await info(site);
    await own.stop();
    assert.equal(processExists(pid), false, 'stop() resolves once the site\'s process has exited');
    await assert.rejects(request(`https://${site.defaultHostName}/api/info`, { dispatcher: agent }));
  });
});
