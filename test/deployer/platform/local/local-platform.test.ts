import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Agent, request as undiciRequest } from 'undici';
import { waitForHealthy } from '../../../../deployer/platform/health-wait.js';
import { resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../../deployer/platform/package/package-unpacking.js';
import { LocalPlatform, type LocalPlatformOptions } from '../../../../deployer/platform/local/local-platform.js';
import { isPortFree } from '../../../../deployer/platform/local/port-allocation.js';
import { routerAppSettings } from '../../../../router/app-configuration/app-settings.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { repositoryRoot, sampleAppDir } from '../../host/fixture-apps.js';
import { appInfo, buildContractPackages, describePlatformContract, rejectsWith, statusOf, type ContractPackages } from '../platform-contract.js';
import { processExists } from '../../../fixtures/process-exists.js';

const azurite = await startAzuriteForTests();
// Under the repository, so that the apps' code resolves @azure/functions from its node_modules.
const workDir = path.join(repositoryRoot, '.data', 'test', `local-platform-${randomUUID()}`);
/** Every app its own task hub, as the router gives them: apps sharing one would take each other's work. */
function settingsFor(appName: string): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    AzureFunctionsJobHost__extensions__durableTask__hubName: `Hub${appName.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 45),
  };
}
const platforms: LocalPlatform[] = [];

/** One platform per root, as in production: resume() would start another instance's apps otherwise. */
function open(options: Partial<LocalPlatformOptions> & { root?: string } = {}): LocalPlatform {
  const platform = new LocalPlatform({ root: path.join(workDir, `platform-${platforms.length}`), startTimeoutMs: 30_000, ...options });
  platforms.push(platform);
  return platform;
}

after(async () => {
  await Promise.all(platforms.map((platform) => platform.stop()));
  await rm(workDir, { recursive: true, force: true });
});

const contractRoot = path.join(workDir, 'contract');
describePlatformContract('local', () => ({
  platform: (owner) => open({ root: contractRoot, ...(owner === undefined ? {} : { owner }) }),
  baseSettings: settingsFor,
  workDir,
}));

describe('LocalPlatform', () => {
  let packages: ContractPackages;
  before(async () => {
    packages = await buildContractPackages(path.join(workDir, 'local-packages'));
  });

  it('puts the previous package back and running when the new one does not start', async () => {
    const platform = open();
    const { url } = await platform.provision({ appName: 'keeps-previous', routeKey: '1.0', version: '1.0.0' });
    await platform.configure('keeps-previous', settingsFor('keeps-previous'));
    await platform.deploy('keeps-previous', packages.v1);
    await assert.rejects(platform.deploy('keeps-previous', packages.broken), (error: Error & { details?: Record<string, unknown> }) => {
      assert.match(error.message, /did not start: .*APP_LOAD_FAILED.*boom at load.*\nThe previous package is still running\./s);
      assert.equal(error.details?.['previousRunning'], true);
      return true;
    });
    assert.equal((await appInfo(url)).version, '1.0.0');
    const app = await platform.get('keeps-previous');
    assert.equal(app?.deployment?.sha256, packages.v1.sha256, 'the record still names the running package');
    assert.equal((await platform.health('keeps-previous')).healthy, true);
    assert.deepEqual((await readdir(path.join(platform.root, 'apps', 'keeps-previous'))).sort(), ['app.json', 'secrets', 'site']);
  });

  it('a first package that does not start leaves the app with no code running', async () => {
    const platform = open();
    await platform.provision({ appName: 'never-started', routeKey: '1.1', version: '1.1.0' });
    await platform.configure('never-started', settingsFor('never-started'));
    await rejectsWith(platform.deploy('never-started', packages.broken), 'PLATFORM_DEPLOY_FAILED', /The app had no earlier code, so nothing runs\./);
    const app = await platform.get('never-started');
    assert.equal(app?.state, 'not-deployed');
  });

  it('keeps apps across platform instances and resumes them on the same ports, repairing a cut-off deploy', async () => {
    const root = path.join(workDir, 'resumed');
    const first = open({ root });
    const { url } = await first.provision({ appName: 'survivor', routeKey: '2.0', version: '2.0.0', tags: { team: 'orders' } });
    await first.provision({ appName: 'never-deployed', routeKey: '2.1', version: '2.1.0' });
    await first.configure('survivor', { ...settingsFor('survivor'), FIXTURE_MESSAGE: 'kept' });
    await first.deploy('survivor', packages.v1);
    await first.stop();
    await rejectsWith(first.configure('survivor', {}), 'SHUTTING_DOWN');
    await assert.rejects(fetch(`${url}/api/info`));

    // As if the control plane died between moving the old site aside and moving the new one in.
    const appDir = path.join(root, 'apps', 'survivor');
    await rename(path.join(appDir, 'site'), path.join(appDir, `previous-${randomUUID()}`));
    await mkdir(path.join(appDir, `staging-${randomUUID()}`));

    const second = open({ root });
    const listed = await second.list();
    assert.deepEqual(
      listed.map((app) => [app.name, app.state, app.url]),
      [
        ['never-deployed', 'not-deployed', listed[0]?.url],
        ['survivor', 'stopped', url],
      ],
    );
    assert.deepEqual(listed[1]?.tags, { team: 'orders' });
    assert.equal((await second.health('survivor')).state, 'stopped');
    const report = await second.resume();
    assert.deepEqual(report, { started: ['survivor'], failed: [] });
    const info = await appInfo(url);
    assert.equal(info.message, 'kept');
    assert.equal(info.version, '1.0.0');
    assert.deepEqual((await readdir(appDir)).sort(), ['app.json', 'secrets', 'site']);
    assert.deepEqual(await second.resume(), { started: [], failed: [] }, 'resuming twice starts nothing twice');
    assert.equal((await stat(path.join(appDir, 'app.json'))).mode & 0o777, 0o600);
  });

  it('apps stop with a killed control plane, and a new one resumes them on the same port', async () => {
    const root = path.join(workDir, 'killed');
    const child = spawn(
      process.execPath,
      [
        path.join(repositoryRoot, 'dist', 'test', 'deployer', 'platform', 'local', 'fixtures', 'platform-child.js'),
        root,
        'orphan-check',
        packages.v1.path,
        packages.v1.sha256,
        JSON.stringify({ ...settingsFor('orphan-check'), FIXTURE_MESSAGE: 'from the killed one' }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`platform-child exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      const { pid } = await appInfo(url);
      child.kill('SIGKILL');
      await exited;
      await waitUntil(() => !processExists(pid), 15_000, `the app process ${pid} outlived its killed parent`);

      const platform = open({ root });
      assert.deepEqual(await platform.resume(), { started: ['orphan-check'], failed: [] });
      const info = await appInfo(url);
      assert.equal(info.message, 'from the killed one');
      assert.notEqual(info.pid, pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('does not take a port another process holds: resume reports it and goes on', async () => {
    const root = path.join(workDir, 'held');
    const first = open({ root });
    const { url } = await first.provision({ appName: 'held', routeKey: '3.1', version: '3.1.0' });
    await first.configure('held', settingsFor('held'));
    await first.deploy('held', packages.v1);
    await first.stop();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    try {
      const report = await open({ root, portReleaseTimeoutMs: 300 }).resume();
      assert.deepEqual(report.started, []);
      assert.equal(report.failed[0]?.appName, 'held');
      assert.equal(report.failed[0]?.error.code, 'PLATFORM_OPERATION_FAILED');
      assert.match(report.failed[0]?.error.message ?? '', /The port \d+ of the app "held" is held by another process/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('starts an app process that was killed again, on its port, without a deploy or a resume', async () => {
    const platform = open();
    const { url } = await platform.provision({ appName: 'crashes', routeKey: '3.0', version: '3.0.0' });
    await platform.configure('crashes', settingsFor('crashes'));
    await platform.deploy('crashes', packages.v1);
    const { pid } = await appInfo(url);
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => !processExists(pid), 10_000, 'the app process did not die');
    // A new connection waits at the port while the restart is coming: the first request after the kill is answered.
    const fresh = new Agent();
    try {
      const response = await undiciRequest(`${url}/api/info`, { dispatcher: fresh, headersTimeout: 30_000 });
      assert.equal(response.statusCode, 200);
      assert.notEqual(((await response.body.json()) as { pid: number }).pid, pid);
    } finally {
      await fresh.close();
    }
    // The record says it is down until the restart has finished (its durable engine runs too).
    const recordFile = path.join(platform.root, 'apps', 'crashes', 'app.json');
    await waitUntil(async () => (JSON.parse(await readFile(recordFile, 'utf8')) as { down?: unknown }).down === undefined, 30_000, 'the record still says the app is down');
    assert.equal((await platform.health('crashes')).healthy, true);
  });

  it('gives up on an app that crashes again and again, says why, and resume starts it once it is fixed', async () => {
    const platform = open({ crashRestarts: { firstDelayMs: 50, maxQuickCrashes: 3 } });
    const crashFile = path.join(workDir, `crash-${randomUUID()}`);
    const { url } = await platform.provision({ appName: 'crash-loop', routeKey: '3.1', version: '3.1.0' });
    await platform.configure('crash-loop', { ...settingsFor('crash-loop'), FIXTURE_CRASH_FILE: crashFile });
    await platform.deploy('crash-loop', packages.v1);
    const { pid } = await appInfo(url);
    await writeFile(crashFile, 'crash\n');
    process.kill(pid, 'SIGKILL');
    const recordFile = path.join(platform.root, 'apps', 'crash-loop', 'app.json');
    const down = async (): Promise<{ gaveUp?: boolean; exitCode?: number | null; quickCrashes?: number } | undefined> => (JSON.parse(await readFile(recordFile, 'utf8')) as { down?: { gaveUp: boolean } }).down;
    await waitUntil(async () => (await down())?.gaveUp === true, 60_000, 'the platform did not give up on the crash loop');
    assert.deepEqual({ ...(await down()), since: undefined }, { since: undefined, exitCode: 3, signal: null, quickCrashes: 3, gaveUp: true });
    const health = await platform.health('crash-loop');
    assert.equal(health.state, 'stopped');
    assert.match(health.detail, /exited with code 3 at .*; it ended 3 times in a row within 10 s of starting, so it is not restarted any more/);
    await assert.rejects(fetch(`${url}/api/info`), 'the port is closed once the platform gave up');

    await rm(crashFile);
    assert.deepEqual(await platform.resume(), { started: ['crash-loop'], failed: [] });
    assert.notEqual((await appInfo(url)).pid, pid);
    assert.equal(await down(), undefined);
  });

  it('never logs setting values', async () => {
    const secret = `AccountKey=${randomUUID()}`;
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    const platform = open({ logger, onAppLog: (_app, line) => lines.push(line) });
    await platform.provision({ appName: 'secretive', routeKey: '4.0', version: '4.0.0' });
    await platform.configure('secretive', { ...settingsFor('secretive'), FIXTURE_SECRET: secret });
    await platform.deploy('secretive', packages.v1);
    await platform.configure('secretive', { ...settingsFor('secretive'), FIXTURE_SECRET: secret, FIXTURE_MESSAGE: 'restart' });
    await rejectsWith(platform.deploy('secretive', packages.broken), 'PLATFORM_DEPLOY_FAILED');
    const keys = await platform.hostSecrets('secretive');
    await waitForHealthy(platform, 'secretive', { timeoutMs: 30_000 });
    await platform.delete('secretive');
    const log = lines.join('\n');
    for (const key of [keys.masterKey, ...Object.values(keys.functionKeys), ...Object.values(keys.systemKeys)]) {
      assert.ok(!log.includes(key), 'a host key reached the log');
    }
    assert.match(log, /FIXTURE_SECRET/, 'setting names are logged');
    assert.match(log, /deployed a package/);
    assert.ok(!log.includes(secret), 'a setting value reached the log');
    assert.ok(!log.includes(azurite.connectionString), 'the storage connection string reached the log');
  });

  it('applies keys set with setHostSecret to the running app within about a second; the old ones stop working', async () => {
    const platform = open();
    const { url } = await platform.provision({ appName: 'rotated', routeKey: '8.0', version: '8.0.0' });
    await platform.configure('rotated', settingsFor('rotated'));
    await platform.deploy('rotated', packages.v1);
    const before = await platform.keys('rotated');
    const durableApi = `${url}/runtime/webhooks/durabletask/instances?top=1`;
    assert.equal(await statusOf(`${url}/api/guarded`, before.function), 200);

    const functionKey = `rotated-function-${randomUUID()}`;
    const durableTask = `rotated-durable-${randomUUID()}`;
    await platform.setHostSecret('rotated', 'functionKeys', 'default', functionKey);
    await platform.setHostSecret('rotated', 'systemKeys', 'durabletask_extension', durableTask);
    assert.deepEqual(await platform.keys('rotated'), { function: functionKey, durableTask });
    await waitUntil(async () => (await statusOf(`${url}/api/guarded`, functionKey)) === 200, 5_000, 'the new function key did not open the function');
    await waitUntil(async () => (await statusOf(durableApi, durableTask)) === 200, 5_000, 'the new system key did not open the durable API');
    assert.equal(await statusOf(`${url}/api/guarded`, before.function), 401, 'the old function key still works');
    assert.equal(await statusOf(durableApi, before.durableTask), 401, 'the old system key still works');

    // The health probe presents the master key: a new one is the platform's as soon as the host takes it up.
    await platform.setHostSecret('rotated', 'masterKey', 'master', `rotated-master-${randomUUID()}`);
    assert.equal((await waitForHealthy(platform, 'rotated', { timeoutMs: 5_000, intervalMs: 100 })).healthy, true);
  });

  it('gives new apps distinct ports from its range, and says when the range is used up', async () => {
    let port = 0;
    for (let candidate = 20_000 + Math.floor(Math.random() * 20_000); port === 0; candidate++) {
      if ((await isPortFree(candidate)) && (await isPortFree(candidate + 1))) port = candidate;
    }
    const platform = open({ root: path.join(workDir, 'ranged'), ports: { first: port, last: port + 1 } });
    const together = await Promise.all([
      platform.provision({ appName: 'ranged-a', routeKey: '5.0', version: '5.0.0' }),
      platform.provision({ appName: 'ranged-b', routeKey: '5.1', version: '5.1.0' }),
    ]);
    assert.deepEqual(together.map((app) => app.url).sort(), [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`]);
    await rejectsWith(
      platform.provision({ appName: 'ranged-c', routeKey: '5.2', version: '5.2.0' }),
      'PLATFORM_OPERATION_FAILED',
      new RegExp(`No free port is left for a new app in ${port}-${port + 1}`),
    );
    assert.throws(() => new LocalPlatform({ root: workDir, ports: { first: 10, last: 5 } }), /is not a range of ports/);
  });

  it('reports a damaged record instead of skipping the app', async () => {
    const root = path.join(workDir, 'damaged');
    const platform = open({ root });
    await platform.provision({ appName: 'damaged', routeKey: '6.0', version: '6.0.0' });
    await writeFile(path.join(root, 'apps', 'damaged', 'app.json'), '{ "schema": 1, "name": ');
    await rejectsWith(platform.list(), 'PLATFORM_OPERATION_FAILED', /record .*damaged\/app.json is damaged: it is not JSON/);
  });

  it('runs the durable sample app', async () => {
    const platform = open();
    const { url } = await platform.provision({ appName: 'sample-1x0', routeKey: '1.0', version: '1.0.0' });
    await platform.configure('sample-1x0', routerAppSettings({ routeKey: '1.0', version: '1.0.0', storageConnectionString: azurite.connectionString }));
    const unpacked = await unpackPackage(sampleAppDir, path.join(workDir, 'sample-hash'), { limits: resolvePackageLimits() });
    await platform.deploy('sample-1x0', { path: sampleAppDir, sha256: packageContentHash(unpacked.files) });
    const health = await waitForHealthy(platform, 'sample-1x0', { timeoutMs: 30_000 });
    assert.ok(health.functions.includes('processOrder') && health.functions.includes('startOrder'), health.functions.join(', '));
    const pkg = JSON.parse(await readFile(path.join(sampleAppDir, 'package.json'), 'utf8')) as { version: string };
    const started = await fetch(`${url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer: 'platform test', items: [{ sku: 'apple', quantity: 2, unitPrice: 3 }] }),
    });
    assert.equal(started.status, 202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    assert.ok(statusQueryGetUri.startsWith(url), statusQueryGetUri);
    let status: { runtimeStatus: string; output?: { status: string; appVersion: string } } = { runtimeStatus: 'Pending' };
    await waitUntil(
      async () => {
        status = (await (await fetch(statusQueryGetUri)).json()) as typeof status;
        return ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus);
      },
      30_000,
      'the order did not finish',
    );
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output?.status, 'Completed');
    assert.equal(status.output?.appVersion, pkg.version);
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, failure: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`${failure} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
