/**
 * The Azure platform against the fake ARM (a stateful ARM on loopback whose sites really run their
 * packages) with Azurite: Table storage for the apps, Blob storage for packages. Sites answer over
 * HTTPS with the test CA: run with NODE_EXTRA_CA_CERTS=<repo>/test/fixtures/tls/ca.pem.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { pino } from 'pino';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { waitForHealthy } from '../../../../deployer/platform/health-wait.js';
import { AzurePlatform } from '../../../../deployer/platform/azure/azure-platform.js';
import type { AzurePlatformOptions } from '../../../../deployer/platform/azure/azure-platform-options.js';
import { deploymentContainerName } from '../../../../deployer/platform/azure/azure-names.js';
import { callerSettingNamesSetting, deploymentStorageSetting } from '../../../../deployer/platform/azure/site-app-settings.js';
import { startFakeArm, type FakeArm } from '../../../fakes/azure-arm/fake-arm.js';
import { fakeArmClients } from '../../../fakes/azure-arm/fake-arm-clients.js';
import { pollUntil } from '../../../fakes/azure-arm/fake-arm-for-tests.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { processExists } from '../../../fixtures/process-exists.js';
import { repositoryRoot } from '../../host/fixture-apps.js';
import { appInfo, buildContractPackages, describePlatformContract, rejectsWith, type ContractPackages } from '../platform-contract.js';

const azurite = await startAzuriteForTests({ blob: true });
// Under the repository, so that the sites' code resolves @azure/functions from its node_modules.
const workDir = path.join(repositoryRoot, '.data', 'test', `azure-platform-${randomUUID()}`);
const fake = await startFakeArm({ dataDir: path.join(workDir, 'fake-arm') });
const fakes: FakeArm[] = [fake];
after(async () => {
  await Promise.all(fakes.map((each) => each.stop()));
  await rm(workDir, { recursive: true, force: true });
});

/** Every app its own task hub, as the router gives them. */
function settingsFor(appName: string): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    AzureFunctionsJobHost__extensions__durableTask__hubName: `Hub${appName.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 45),
  };
}

function open(options: Partial<AzurePlatformOptions> = {}, arm: FakeArm = fake): AzurePlatform {
  return new AzurePlatform({
    subscriptionId: arm.subscriptionId,
    resourceGroup: 'rg-contract',
    location: 'westeurope',
    packageStorage: { connectionString: azurite.connectionString },
    credential: arm.credential,
    armEndpoint: arm.endpoint,
    pollIntervalMs: 20,
    probeTimeoutMs: 5_000,
    retry: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
    ...options,
  });
}

/** The ARM calls answered from `from` on (an index into the fake's call log) for one operation. */
function callsOf(operationId: string, from = 0): { status: number; startedAt: number; endedAt: number }[] {
  return fake.calls.slice(from).filter((call) => call.operationId === operationId).map((call) => ({
    status: call.status, startedAt: Number(call.startedAt), endedAt: Number(call.endedAt),
  }));
}

function blobService(): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(azurite.connectionString);
}

function packageBlobs(appName: string): Promise<string[]> {
  return (async () => {
    const container = blobService().getContainerClient('durable-router-packages');
    const names: string[] = [];
    if (!(await container.exists())) return names;
    for await (const blob of container.listBlobsFlat({ prefix: `${appName}/` })) names.push(blob.name);
    return names;
  })();
}

describePlatformContract('azure', () => ({
  platform: (owner) => open(owner === undefined ? {} : { owner }),
  baseSettings: settingsFor,
  workDir,
}));

describe('AzurePlatform', () => {
  let packages: ContractPackages;
  before(async () => {
    packages = await buildContractPackages(path.join(workDir, 'azure-packages'));
  });

  it('leaves out of a listing an app deleted between the listing and the read of its settings', async () => {
    const platform = open();
    const appName = 'azure-vanishing-7x7';
    await platform.provision({ appName, routeKey: '7.7', version: '7.7.0' });
    const from = fake.calls.length;
    fake.faults.delay('WebApps_ListApplicationSettings', 1_500);
    try {
      const listing = platform.list();
      await pollUntil('the listing of the sites', 10_000, async () => (callsOf('WebApps_ListByResourceGroup', from).length > 0 ? true : undefined));
      await open().delete(appName);
      const listed = await listing;
      assert.ok(!listed.some((app) => app.name === appName), listed.map((app) => app.name).join(', '));
      assert.ok(callsOf('WebApps_ListApplicationSettings', from).some((call) => call.status === 404), 'its settings were asked for after it went');
    } finally {
      fake.faults.delay('WebApps_ListApplicationSettings', 0);
    }
  });

  it('retries a throttled call after Retry-After, and 5xx, until it succeeds', async () => {
    const platform = open();
    const from = fake.calls.length;
    fake.faults.fail('WebApps_ListByResourceGroup', { status: 429, code: 'TooManyRequests', message: 'Slow down.', times: 2, retryAfterSeconds: 1 });
    assert.ok(Array.isArray(await platform.list()));
    const listed = callsOf('WebApps_ListByResourceGroup', from);
    assert.deepEqual(listed.map((call) => call.status), [429, 429, 200]);
    for (let index = 1; index < listed.length; index++) {
      const previous = listed[index - 1];
      const next = listed[index];
      assert.ok(previous !== undefined && next !== undefined);
      assert.ok(next.startedAt - previous.endedAt >= 900, `retry ${index} came ${next.startedAt - previous.endedAt} ms after a Retry-After of 1 s`);
    }
    const later = fake.calls.length;
    fake.faults.fail('WebApps_Get', { status: 503, code: 'ServiceUnavailable', message: 'Try again.', times: 2 });
    assert.equal(await platform.get('never-there'), undefined);
    assert.deepEqual(callsOf('WebApps_Get', later).map((call) => call.status), [503, 503, 404]);
  });

  it('surfaces a persistent failure with ARM\'s code and message and the operation, and creates no site', async () => {
    const platform = open();
    const appName = 'persistent-failure';
    fake.faults.fail('AppServicePlans_CreateOrUpdate', { status: 409, code: 'SubscriptionQuotaExceeded', message: 'The subscription has no quota left for FC1 plans.', times: Number.POSITIVE_INFINITY });
    try {
      await rejectsWith(platform.provision({ appName, routeKey: '1.0', version: '1.0.0' }), 'PLATFORM_OPERATION_FAILED',
        /refused AppServicePlans_CreateOrUpdate for the app "persistent-failure" \(HTTP 409 SubscriptionQuotaExceeded\): The subscription has no quota left for FC1 plans\./);
    } finally {
      fake.faults.clear();
    }
    assert.ok(!fake.state.sites().some((site) => site.name === appName));
    const from = fake.calls.length;
    fake.faults.fail('WebApps_ListApplicationSettings', { status: 500, code: 'InternalServerError', message: 'Something broke.', times: 10 });
    try {
      await platform.provision({ appName: 'five-hundreds', routeKey: '1.0', version: '1.0.0' });
      await rejectsWith(platform.configure('five-hundreds', {}), 'PLATFORM_OPERATION_FAILED', /HTTP 500 InternalServerError, still after the retries\): Something broke\./);
    } finally {
      fake.faults.clear();
      await platform.delete('five-hundreds');
    }
    assert.equal(callsOf('WebApps_ListApplicationSettings', from).filter((call) => call.status === 500).length, 4, 'the first try and 3 retries');
  });

  it('reports a failed OneDeploy with the service\'s message, and delete leaves nothing behind', async () => {
    const platform = open();
    const appName = 'deploy-fails';
    await platform.provision({ appName, routeKey: '1.0', version: '1.0.0' });
    await platform.configure(appName, settingsFor(appName));
    fake.faults.failNextDeployment(appName, 'Package deployment failed: the zip could not be extracted.');
    await rejectsWith(platform.deploy(appName, packages.v1), 'PLATFORM_DEPLOY_FAILED', /The deployment to "deploy-fails" failed: .*the zip could not be extracted/);
    assert.equal((await platform.get(appName))?.deployment, undefined, 'a failed deployment is not recorded as deployed');
    assert.deepEqual(await packageBlobs(appName), [`${appName}/${packages.v1.sha256}.zip`]);
    await platform.delete(appName);
    assert.ok(!fake.state.sites().some((site) => site.name === appName));
    assert.ok(!fake.state.plans().some((plan) => plan.name === appName));
    assert.deepEqual(await packageBlobs(appName), []);
    assert.equal(await blobService().getContainerClient(deploymentContainerName(appName)).exists(), false, 'the Flex deployment container is gone too');
    await platform.delete(appName);
  });

  it('reads App Service\'s unwrapped PascalCase errors as well as ARM\'s envelope', async () => {
    const platform = open();
    fake.faults.fail('CheckNameAvailability', { status: 400, code: 'BadRequest', message: 'The request is malformed: name is required.', shape: 'pascal' });
    await rejectsWith(platform.provision({ appName: 'pascal-error', routeKey: '1.0', version: '1.0.0' }), 'PLATFORM_OPERATION_FAILED',
      /refused CheckNameAvailability for the app "pascal-error" \(HTTP 400 BadRequest\): The request is malformed: name is required\./);
  });

  it('waits for a deployment still running (a deploy cut off by a crash) before deploying again', async () => {
    const platform = open();
    const restarted = open();
    const appName = 'deploys-overlap';
    const { url } = await platform.provision({ appName, routeKey: '1.0', version: '1.0.0' });
    await platform.configure(appName, settingsFor(appName));
    fake.faults.delay('WebApps_CreateOneDeployOperation', 1_500);
    try {
      const from = fake.calls.length;
      // The first caller stands for a control plane that crashed: its outcome is no one's, unless it read it before the second began.
      const first = platform.deploy(appName, packages.v1).then(() => 'succeeded', (error: unknown) => error);
      const deadline = performance.now() + 30_000;
      while (callsOf('WebApps_CreateOneDeployOperation', from).length === 0) {
        assert.ok(performance.now() < deadline, 'the first deployment never started');
        await sleep(20);
      }
      const second = await restarted.deploy(appName, packages.v2Zip);
      const outcome = await first;
      if (outcome !== 'succeeded') {
        assert.ok(isRouterError(outcome, 'PLATFORM_DEPLOY_FAILED'), String(outcome));
        assert.match(outcome.message, /Another deployment to "deploys-overlap" followed this one/);
      }
      assert.deepEqual(callsOf('WebApps_CreateOneDeployOperation', from).map((call) => call.status), [202, 202], 'no deployment was refused as overlapping');
      assert.equal(second.deployment?.sha256, packages.v2Zip.sha256);
    } finally {
      fake.faults.clear();
    }
    await waitForHealthy(platform, appName, { timeoutMs: 30_000 });
    assert.equal((await appInfo(url)).version, '1.0.1');
    await platform.delete(appName);
  });

  it('refuses a name taken elsewhere before creating anything', async () => {
    const platform = open();
    fake.faults.reserveSiteName('taken-elsewhere');
    const from = fake.calls.length;
    await rejectsWith(platform.provision({ appName: 'taken-elsewhere', routeKey: '1.0', version: '1.0.0' }), 'PLATFORM_APP_NAME_TAKEN', /taken-elsewhere/);
    assert.ok(!fake.state.plans().some((plan) => plan.name === 'taken-elsewhere'));
    assert.deepEqual(callsOf('AppServicePlans_CreateOrUpdate', from), []);
    assert.deepEqual(callsOf('WebApps_CreateOrUpdate', from), []);
  });

  it('refuses a name whose first 32 characters are another app\'s (the host id) before creating anything', async () => {
    const platform = open();
    const first = 'orders-service-for-the-west-reg-v1-2';
    await platform.provision({ appName: first, routeKey: '1.2', version: '1.2.0' });
    const from = fake.calls.length;
    await rejectsWith(platform.provision({ appName: 'orders-service-for-the-west-reg-v1-3', routeKey: '1.3', version: '1.3.0' }), 'PLATFORM_HOST_ID_CLASH',
      /same 32 characters as this router's app "orders-service-for-the-west-reg-v1-2" \("orders-service-for-the-west-reg"\).*AZFD0004/);
    assert.deepEqual(callsOf('AppServicePlans_CreateOrUpdate', from), []);
    assert.deepEqual(callsOf('WebApps_CreateOrUpdate', from), []);
    await platform.delete(first);
  });

  it('ends with one site and one plan when a provision killed half-way runs again', async () => {
    const slow = await startFakeArm({ dataDir: path.join(workDir, 'fake-arm-slow'), lroDelayMs: 3_000 });
    fakes.push(slow);
    const request = { appName: 'killed-mid-provision', routeKey: '2.0', version: '2.0.0' };
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'dist', 'test', 'deployer', 'platform', 'azure', 'fixtures', 'provision-child.js'), JSON.stringify(request)], {
      env: {
        ...process.env,
        AZURE_SUBSCRIPTION_ID: slow.subscriptionId,
        ROUTER_RESOURCE_GROUP: 'rg-killed',
        ROUTER_LOCATION: 'westeurope',
        ROUTER_PACKAGE_STORAGE: azurite.connectionString,
        ROUTER_AZURE_ARM_ENDPOINT: slow.endpoint,
        ROUTER_AZURE_ARM_TOKEN: slow.token,
        ROUTER_AZURE_POLL_MS: '20',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = performance.now() + 60_000;
    while (!slow.calls.some((call) => call.operationId === 'WebApps_CreateOrUpdate' && call.method === 'PUT')) {
      assert.ok(performance.now() < deadline, `the child never started creating the site: ${output}`);
      assert.ok(child.exitCode === null, `the child ended before creating the site: ${output}`);
      await sleep(20);
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(child.pid !== undefined && !processExists(child.pid));
    assert.doesNotMatch(output, /provisioned/);

    const platform = open({ resourceGroup: 'rg-killed' }, slow);
    const app = await platform.provision(request);
    assert.equal(app.name, request.appName);
    assert.equal(slow.state.sites().filter((site) => site.name === request.appName).length, 1);
    assert.equal(slow.state.sites().find((site) => site.name === request.appName)?.provisioningState, 'Succeeded');
    assert.equal(slow.calls.filter((call) => call.operationId === 'WebApps_CreateOrUpdate').length, 1, 'the site still being created was waited for, not created again');
    assert.equal(slow.state.plans().filter((plan) => plan.name === request.appName).length, 1);
    assert.deepEqual(await platform.provision(request), app);
    await platform.delete(request.appName);
    assert.equal(slow.state.plans().filter((plan) => plan.name === request.appName).length, 0);
  });

  it('keeps its own settings through configure, and writes nothing when nothing changes', async () => {
    const platform = open();
    const appName = 'configure-keeps';
    const arm = fakeArmClients(fake);
    const settings = async (): Promise<Record<string, string>> => (await arm.web.webApps.listApplicationSettings('rg-contract', appName)).properties ?? {};
    await platform.provision({ appName, routeKey: '1.0', version: '1.0.0' });
    assert.deepEqual(Object.keys(await settings()), [deploymentStorageSetting]);
    const from = fake.calls.length;
    await platform.configure(appName, { A: '1', B: '2' });
    await platform.configure(appName, { A: '1', B: '2' });
    assert.equal(callsOf('WebApps_UpdateApplicationSettings', from).length, 1, 'the same settings again are not written');
    await platform.configure(appName, { B: '3' });
    assert.deepEqual(await settings(), { [deploymentStorageSetting]: azurite.connectionString, B: '3', [callerSettingNamesSetting]: 'B' });
    assert.deepEqual((await platform.get(appName))?.settingNames, ['B']);
    await rejectsWith(platform.configure(appName, { FUNCTIONS_WORKER_RUNTIME: 'node' }), 'INVALID_REQUEST', /FUNCTIONS_WORKER_RUNTIME cannot be set on FC1 apps/);
    await platform.delete(appName);
  });

  it('runs apps on a shared Elastic Premium plan, keeping its worker settings, and syncs triggers after a deploy', async () => {
    const platform = open({ planSku: 'EP1', resourceGroup: 'rg-premium' });
    const appName = 'premium-app';
    await platform.provision({ appName, routeKey: '3.0', version: '3.0.0' });
    await platform.configure(appName, settingsFor(appName));
    const from = fake.calls.length;
    const deployed = await platform.deploy(appName, packages.v1);
    assert.equal(deployed.state, 'running');
    assert.ok(callsOf('WebApps_SyncFunctionTriggers', from).length >= 1);
    await waitForHealthy(platform, appName, { timeoutMs: 30_000 });
    assert.equal((await appInfo(deployed.url)).version, '1.0.0');
    assert.deepEqual(fake.state.plans().filter((plan) => plan.name === 'durable-router-default').length, 1);
    await platform.delete(appName);
    assert.deepEqual(fake.state.plans().filter((plan) => plan.name === 'durable-router-default').length, 1, 'the shared plan stays');
  });

  it('lists and changes only the sites this router owns', async () => {
    const platform = open();
    const other = open({ owner: 'another-router' });
    await platform.provision({ appName: 'owned-here', routeKey: '5.0', version: '5.0.0' });
    await other.provision({ appName: 'owned-elsewhere', routeKey: '5.0', version: '5.0.0' });
    const arm = fakeArmClients(fake);
    await arm.web.appServicePlans.createOrUpdate('rg-contract', 'durable-router-unmanaged', { location: 'westeurope', kind: 'functionapp', reserved: true, sku: { name: 'Y1', tier: 'Dynamic' } }, { updateIntervalInMs: 20 });
    await arm.web.webApps.createOrUpdate('rg-contract', 'not-managed', {
      location: 'westeurope', kind: 'functionapp,linux', reserved: true,
      serverFarmId: `/subscriptions/${fake.subscriptionId}/resourceGroups/rg-contract/providers/Microsoft.Web/serverfarms/durable-router-unmanaged`,
      tags: { team: 'someone-else' },
    }, { updateIntervalInMs: 20 });
    const names = (await platform.list()).map((app) => app.name);
    assert.ok(names.includes('owned-here'));
    assert.ok(!names.includes('owned-elsewhere'));
    assert.ok(!names.includes('not-managed'));
    assert.equal(await platform.get('not-managed'), undefined);
    await rejectsWith(platform.delete('not-managed'), 'PLATFORM_APP_NAME_TAKEN', /does not manage/);
    await rejectsWith(platform.provision({ appName: 'not-managed', routeKey: '5.0', version: '5.0.0' }), 'PLATFORM_APP_NAME_TAKEN');
    await rejectsWith(platform.deploy('owned-elsewhere', packages.v1), 'PLATFORM_APP_NOT_FOUND');
    await platform.delete('owned-here');
    await other.delete('owned-elsewhere');
  });

  it('writes no key, token, connection string or signed URL to its log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done(); } }));
    const platform = open({ logger });
    const appName = 'quiet-about-secrets';
    await platform.provision({ appName, routeKey: '6.0', version: '6.0.0' });
    await platform.configure(appName, { ...settingsFor(appName), FIXTURE_MESSAGE: 'secret-setting-value' });
    await platform.deploy(appName, packages.v1);
    await waitForHealthy(platform, appName, { timeoutMs: 30_000 });
    const keys = await platform.keys(appName);
    const hostKeys = await fakeArmClients(fake).web.webApps.listHostKeys('rg-contract', appName);
    assert.deepEqual(keys, { function: hostKeys.functionKeys?.['default'], durableTask: hostKeys.systemKeys?.['durabletask_extension'] });
    await platform.list();
    await platform.delete(appName);
    const log = lines.join('');
    assert.ok(log.includes(appName), 'the log names the app');
    for (const secret of [keys.function, keys.durableTask, fake.token, 'secret-setting-value', azurite.connectionString, 'AccountKey', 'sig=']) {
      assert.ok(!log.includes(secret), `the log holds a secret (${secret.slice(0, 4)}…)`);
    }
  });
});
