import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { stageAppAsVersion } from '../../../router/embedded/staged-app.js';
import { startFakeArm, type FakeArm } from '../../fakes/azure-arm/fake-arm.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const cli = path.join(root, 'dist', 'router', 'cli', 'main.js');
const sampleApp = path.join(root, 'templates', 'sample-app');
const run = promisify(execFile);

/*
 * `start --backends` releases the versions the file lists through the control plane (as
 * `npm start` does with templates/quickstart/backends.json); then a release arrives through the
 * admin API like any pipeline's.
 */
for (const platform of ['local', 'azure'] as const) describe(`durable-router start (the quick start) on the ${platform} platform`, () => {
  let dataDir: string;
  let child: ChildProcess;
  let url: string;
  let adminKey: string;
  let durableKey: string;
  let fake: FakeArm | undefined;

  before(async () => {
    // Under the repository: the apps the control plane runs resolve @azure/functions from its node_modules.
    dataDir = path.join(root, '.data', 'test', `quick-start-${randomUUID()}`);
    await mkdir(dataDir, { recursive: true });
    // Azure is a fake ARM here, set up as the documented test settings say (docs/azure-platform.md).
    fake = platform === 'azure' ? await startFakeArm({ dataDir: path.join(dataDir, 'fake-arm') }) : undefined;
    const azure = fake === undefined ? {} : {
      ROUTER_PLATFORM: 'azure', AZURE_SUBSCRIPTION_ID: fake.subscriptionId, ROUTER_RESOURCE_GROUP: 'rg-quick-start', ROUTER_LOCATION: 'westeurope',
      ROUTER_AZURE_ARM_ENDPOINT: fake.endpoint, ROUTER_AZURE_ARM_TOKEN: fake.token, ROUTER_AZURE_POLL_MS: '100',
    };
    const backends = path.join(dataDir, 'backends.json');
    await writeFile(backends, JSON.stringify({
      current: '1.1',
      backends: [
        { version: '1.0.0', appDir: sampleApp },
        { version: '1.1.0', appDir: sampleApp },
      ],
    }));
    child = spawn(process.execPath, [cli, 'start', '--backends', backends, '--data-dir', path.join(dataDir, '.data')], {
      env: { ...process.env, ROUTER_PORT: '0', ROUTER_ADMIN_KEY: '', ROUTER_DURABLE_KEY: '', ROUTER_PACKAGE_DIRS: '', LOG_LEVEL: 'warn', ...azure },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const banner = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`start printed no banner in time:\n${text}\n${stderr}`)), 90_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        text += `${line}\n`;
        if (line.startsWith('Ctrl+C')) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`start exited with ${code}:\n${text}\n${stderr}`));
      });
    });
    url = /front door\s+(http:\/\/\S+)/.exec(banner)![1]!;
    adminKey = /admin key\s+(\S+)/.exec(banner)![1]!;
    durableKey = /durable key\s+(\S+)/.exec(banner)![1]!;
    assert.match(banner, platform === 'azure' ? /apps\s+1\.0\.0 at https:\/\// : /apps\s+1\.0\.0 at http:\/\//);
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fake?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('routes to the current version without a header and to the named one with it', async () => {
    const current = await request(`${url}/api/version`);
    assert.equal(current.statusCode, 200);
    assert.equal(current.headers['x-routed-version'], '1.1.0');
    assert.equal(((await current.body.json()) as { version: string }).version, '1.1.0');

    const named = await request(`${url}/api/version`, { headers: { 'x-app-version': '1.0' } });
    assert.equal(named.statusCode, 200);
    assert.equal(named.headers['x-routed-version'], '1.0.0');
    assert.equal(((await named.body.json()) as { version: string }).version, '1.0.0');
  });

  it('starts an order through an app\'s function and follows it with the durable key the banner shows', async () => {
    const started = await request(`${url}/api/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: `quick-${platform}`, customer: 'Ada', items: [{ sku: 'tea', quantity: 1, unitPrice: 5 }] }),
    });
    assert.equal(started.statusCode, 202);
    const { statusQueryGetUri } = (await started.body.json()) as { statusQueryGetUri: string };
    assert.ok(statusQueryGetUri.startsWith(`${url}/runtime/webhooks/durabletask/instances/quick-${platform}?`), statusQueryGetUri);
    assert.match(statusQueryGetUri, new RegExp(`[?&]code=${durableKey}(&|$)`), 'the URL carries the router\'s durable key');
    const status = await request(statusQueryGetUri);
    assert.ok([200, 202].includes(status.statusCode));
    assert.equal(((await status.body.json()) as { instanceId: string }).instanceId, `quick-${platform}`);
    const withoutKey = await request(`${url}/runtime/webhooks/durabletask/instances/quick-${platform}`);
    assert.equal(withoutKey.statusCode, 401);
    await withoutKey.body.dump();
  });

  it('generates an admin key that the CLI finds and uses', async () => {
    assert.ok(adminKey.length >= 16);
    const { stdout } = await run(process.execPath, [cli, 'versions', '--url', url, '--output', 'json'], {
      cwd: dataDir,
      env: { ...process.env, ROUTER_ADMIN_KEY: '' },
    });
    const listing = JSON.parse(stdout) as { current: string; versions: { routeKey: string; state: string }[] };
    assert.equal(listing.current, '1.1');
    assert.deepEqual(listing.versions.map((v) => [v.routeKey, v.state]), [['1.0', 'active'], ['1.1', 'active']]);

    const table = await run(process.execPath, [cli, 'versions', '--url', url, '--admin-key', adminKey]);
    assert.match(table.stdout, /^\s*\*\s+1\.1\s+active\s+app-routing\s+1\.1\.0/m);
  });

  it('refuses the CLI with a wrong admin key, with the error code and a non-zero exit', async () => {
    await assert.rejects(
      run(process.execPath, [cli, 'versions', '--url', url, '--admin-key', 'wrong-key-wrong-key']),
      (error: { code: number; stderr: string }) => error.code === 1 && /UNAUTHORIZED/.test(error.stderr),
    );
  });

  it('releases a new version uploaded as a zip: it becomes current and the older versions drain', async () => {
    const staged = path.join(dataDir, 'upload', 'sample-1.2.0');
    await stageAppAsVersion(sampleApp, staged, '1.2.0');
    const zip = await zipDirectory(staged);
    const started = await request(`${url}/admin/releases?version=1.2.0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/zip' },
      body: zip.stream,
    });
    const { id, statusUrl } = (await started.body.json()) as { id: string; statusUrl: string };
    assert.equal(started.statusCode, 202);
    assert.equal(statusUrl, `${url}/admin/releases/${id}`);
    let status: { state: string; error?: unknown } = { state: 'pending' };
    const deadline = performance.now() + 60_000;
    while (status.state !== 'succeeded' && status.state !== 'failed' && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await (await request(statusUrl, { headers: { authorization: `Bearer ${adminKey}` } })).body.json()) as typeof status;
    }
    assert.equal(status.state, 'succeeded', JSON.stringify(status));

    let listing = { current: '', versions: [] as { routeKey: string; state: string }[] };
    while (listing.current !== '1.2' && performance.now() < deadline) {
      listing = (await (await request(`${url}/admin/versions`, { headers: { authorization: `Bearer ${adminKey}` } })).body.json()) as typeof listing;
    }
    // Superseded: draining, and drained as soon as their drain monitors find no unfinished instance.
    assert.deepEqual(listing.versions.map((v) => [v.routeKey, v.state === 'drained' ? 'draining' : v.state]), [['1.0', 'draining'], ['1.1', 'draining'], ['1.2', 'active']]);
    const current = await request(`${url}/api/version`);
    assert.equal(current.headers['x-routed-version'], '1.2.0');
    assert.equal(((await current.body.json()) as { version: string }).version, '1.2.0');
  });
});
