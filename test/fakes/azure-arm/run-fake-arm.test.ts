/**
 * The runnable fake: it prints the environment a router needs, serves ARM from its own process,
 * and Ctrl+C stops it with every site process it ran.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { processExists } from '../../fixtures/process-exists.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { fakeArmClients } from './fake-arm-clients.js';
import { pollUntil, servePackage, siteAgent, startOneDeploy, waitForDeployment } from './fake-arm-for-tests.js';
import type { FakeArm } from './fake-arm.js';
import { testCaFile } from './sites/test-tls.js';

const entry = path.join(repositoryRoot, 'dist', 'test', 'fakes', 'azure-arm', 'run-fake-arm.js');
const dataDir = path.join(repositoryRoot, '.data', 'test', `fake-arm-run-${randomUUID()}`);
after(() => rm(dataDir, { recursive: true, force: true }));

describe('run-fake-arm', () => {
  it('prints the router\'s environment, serves ARM, and on Ctrl+C stops with every site process', async () => {
    const child = spawn(process.execPath, [entry, '--data-dir', dataDir, '--lro-delay-ms', '50', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const environment: Record<string, string> = {};
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      const exported = /^export (\w+)=(.*)$/.exec(line);
      if (exported !== null) environment[exported[1]!] = exported[2]!;
      if (environment['NODE_EXTRA_CA_CERTS'] !== undefined) break;
    }
    assert.equal(environment['ROUTER_PLATFORM'], 'azure', stderr);
    assert.equal(environment['NODE_EXTRA_CA_CERTS'], testCaFile);
    assert.match(environment['ROUTER_AZURE_ARM_ENDPOINT'] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const token = environment['ROUTER_AZURE_ARM_TOKEN']!;
    const remote: Pick<FakeArm, 'endpoint' | 'credential' | 'subscriptionId'> = {
      endpoint: environment['ROUTER_AZURE_ARM_ENDPOINT']!,
      subscriptionId: environment['AZURE_SUBSCRIPTION_ID']!,
      credential: { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    };
    const { web, resources } = fakeArmClients(remote);
    const server = await servePackage(fixtureApp('platform-app'));
    const agent = siteAgent();
    try {
      await resources.resourceGroups.createOrUpdate('run-group', { location: 'westeurope' });
      const plan = await web.appServicePlans.createOrUpdate('run-group', 'run-plan', { location: 'westeurope', sku: { name: 'EP1' }, reserved: true }, { updateIntervalInMs: 25 });
      const site = await web.webApps.createOrUpdate('run-group', 'run-site', {
        location: 'westeurope',
        kind: 'functionapp,linux',
        serverFarmId: plan.id!,
        siteConfig: { appSettings: [{ name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }, { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }] },
      }, { updateIntervalInMs: 25 });
      assert.equal((await startOneDeploy(remote as FakeArm, web, 'run-group', 'run-site', server.url)).status, 202);
      assert.equal((await waitForDeployment(web, 'run-group', 'run-site'))['status'], 4);
      const answer = await request(`https://${site.defaultHostName}/api/info`, { dispatcher: agent });
      const { pid } = (await answer.body.json()) as { pid: number };
      assert.ok(processExists(pid));

      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      await pollUntil(`the site's process ${pid} to exit`, 15_000, async () => (processExists(pid) ? undefined : true));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await server.close();
      await agent.close();
    }
  });
});
