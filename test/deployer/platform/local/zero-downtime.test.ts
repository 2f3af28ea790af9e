/**
 * The local platform replaces an app's process without a failed request: clients keep calling the
 * app's URL over keep-alive connections (some of them idle for a while, as a proxy's pool is)
 * while a new package is deployed and while its settings change; durable work in flight carries
 * over to the new process.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../../deployer/platform/package/package-unpacking.js';
import type { DeploymentPackage } from '../../../../deployer/platform/platform.js';
import { LocalPlatform } from '../../../../deployer/platform/local/local-platform.js';
import { routerAppSettings } from '../../../../router/app-configuration/app-settings.js';
import { stageAppAsVersion } from '../../../../router/embedded/staged-app.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { fixtureApp, repositoryRoot } from '../../host/fixture-apps.js';
import { processExists } from '../../../fixtures/process-exists.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `zero-downtime-${randomUUID()}`);

interface Answer {
  readonly version: string;
  readonly pid: number;
  readonly message: string | null;
}

/** Workers calling GET /api/version over a small keep-alive pool, pausing now and then so that connections sit idle. */
class Load {
  readonly answers: { readonly at: number; readonly answer: Answer }[] = [];
  readonly failures: string[] = [];
  readonly #pool: Pool;
  readonly #workers: Promise<void>[];
  #running = true;

  constructor(url: string, workers: number) {
    this.#pool = new Pool(url, { connections: 4 });
    this.#workers = Array.from({ length: workers }, (_, index) => this.#work(index));
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#workers);
    await this.#pool.close();
  }

  async #work(index: number): Promise<void> {
    for (let round = 0; this.#running; round++) {
      try {
        const response = await this.#pool.request({ method: 'GET', path: '/api/version' });
        const text = await response.body.text();
        if (response.statusCode !== 200) this.failures.push(`${response.statusCode} ${text}`);
        else this.answers.push({ at: performance.now(), answer: JSON.parse(text) as Answer });
      } catch (error) {
        this.failures.push(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
      }
      // Even workers send their next request at once (a connection is idle only for an instant, which is
      // when a server closing idle connections breaks the request being written); odd ones rest now and
      // then, up to 1.5 s, so that connections also sit idle.
      if (index % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
      else if (round % 5 === 0) await sleep(300 * (1 + (index % 5)));
      else await sleep(5);
    }
  }
}

async function stagedPackage(version: string): Promise<DeploymentPackage> {
  const dir = path.join(workDir, 'packages', version);
  await stageAppAsVersion(fixtureApp('release-app'), dir, version);
  const unpacked = await unpackPackage(dir, path.join(workDir, 'hashes', version), { limits: resolvePackageLimits() });
  return { path: dir, sha256: packageContentHash(unpacked.files) };
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe('zero-downtime replacement on the local platform', () => {
  let platform: LocalPlatform;
  let url: string;
  const appName = 'zero-downtime';

  before(async () => {
    platform = new LocalPlatform({ root: path.join(workDir, 'platform'), startTimeoutMs: 30_000 });
    ({ url } = await platform.provision({ appName, routeKey: '1.0', version: '1.0.0' }));
    await platform.configure(appName, routerAppSettings({ routeKey: '1.0', version: '1.0.0', taskHub: 'ZeroDowntimeV1', storageConnectionString: azurite.connectionString }));
    await platform.deploy(appName, await stagedPackage('1.0.0'));
  });

  after(async () => {
    await platform?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('deploys a new package and changes settings under load: no request fails, and in-flight durable work carries over', async () => {
    const started = await json<{ id: string; statusQueryGetUri: string }>(`${url}/api/waits/carried-over`, { method: 'POST' });
    assert.equal(started.status, 202);
    const { durableTask } = await platform.keys(appName);
    assert.equal(new URL(started.body.statusQueryGetUri).searchParams.get('code'), durableTask, 'the status URL carries the durable API\'s key');
    const before = await json<Answer>(`${url}/api/version`);
    const load = new Load(url, 8);
    try {
      await sleep(500);
      await platform.deploy(appName, await stagedPackage('1.0.1'));
      const deployedAt = performance.now();
      await sleep(500);
      await platform.configure(appName, {
        ...routerAppSettings({ routeKey: '1.0', version: '1.0.0', taskHub: 'ZeroDowntimeV1', storageConnectionString: azurite.connectionString }),
        FIXTURE_MESSAGE: 'reconfigured',
      });
      const configuredAt = performance.now();
      await sleep(500);
      await load.stop();

      assert.deepEqual(load.failures, [], `${load.failures.length} of ${load.failures.length + load.answers.length} requests failed`);
      const served = load.answers.map(({ answer }) => answer.version);
      assert.ok(served.includes('1.0.0') && served.includes('1.0.1'), `versions served: ${[...new Set(served)].join(', ')}`);
      const afterDeploy = load.answers.filter(({ at }) => at > deployedAt + 1).map(({ answer }) => answer);
      assert.ok(afterDeploy.every((answer) => answer.version === '1.0.1'), 'once deploy resolved, only the new package answers');
      const afterConfigure = load.answers.filter(({ at }) => at > configuredAt + 1).map(({ answer }) => answer);
      assert.ok(afterConfigure.length > 0 && afterConfigure.every((answer) => answer.message === 'reconfigured'), 'once configure resolved, only the new settings answer');
      assert.ok(!processExists(before.body.pid), 'the first process has exited');
    } finally {
      await load.stop();
    }

    // The orchestration the first process started finishes in the process that runs now, which has the same keys.
    const raiseUrl = `${url}/runtime/webhooks/durabletask/instances/carried-over/raiseEvent/Go`;
    const refused = await fetch(raiseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"go"' });
    assert.equal(refused.status, 401, 'the durable API wants its key');
    const raised = await fetch(raiseUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': durableTask }, body: '"go"' });
    assert.equal(raised.status, 202);
    let status: { runtimeStatus: string; output?: { version: string; signal: string } } = { runtimeStatus: 'Running' };
    const deadline = performance.now() + 20_000;
    while (status.runtimeStatus !== 'Completed' && performance.now() < deadline) {
      await sleep(100);
      status = (await json<typeof status>(started.body.statusQueryGetUri)).body;
    }
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { version: '1.0.1', signal: 'go' });
  });

  it('an app on the host\'s embedded storage cannot run twice: connections wait while it restarts, and none fails', async () => {
    const embedded = 'embedded-storage';
    const { url: embeddedUrl } = await platform.provision({ appName: embedded, routeKey: '2.0', version: '2.0.0' });
    await platform.configure(embedded, { TASKHUB_NAME: 'EmbeddedV2' });
    await platform.deploy(embedded, await stagedPackage('2.0.0'));
    const load = new Load(embeddedUrl, 4);
    try {
      await sleep(300);
      await platform.deploy(embedded, await stagedPackage('2.0.1'));
      await sleep(300);
      await load.stop();
      assert.deepEqual(load.failures, []);
      assert.equal(load.answers.at(-1)?.answer.version, '2.0.1');
    } finally {
      await load.stop();
    }
  });
});
