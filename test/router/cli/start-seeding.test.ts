import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, it } from 'node:test';
import { request } from 'undici';
import { stageAppAsVersion } from '../../../router/embedded/staged-app.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startStack, type StartedStack } from './fixtures/started-stack.js';

/*
 * `start --backends` makes the file's current version current only if nobody changed the current
 * version while it released the file's versions: a release posted as soon as the front door takes
 * one stays current.
 */
const workDir = path.join(repositoryRoot, '.data', 'test', `start-seeding-${randomUUID()}`);
let stack: StartedStack | undefined;
after(async () => {
  if (stack !== undefined && stack.child.exitCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exited;
  }
  await rm(workDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('never overrides a release posted while it seeds the backends file\'s versions', async () => {
  await mkdir(workDir, { recursive: true });
  const backends = path.join(workDir, 'backends.json');
  await writeFile(backends, JSON.stringify({
    current: '1.1',
    backends: [{ version: '1.0.0', appDir: fixtureApp('release-app') }, { version: '1.1.0', appDir: fixtureApp('release-app') }],
  }));
  const pipelineRelease = path.join(workDir, 'packages', 'release-1.2.0');
  await stageAppAsVersion(fixtureApp('release-app'), pipelineRelease, '1.2.0');
  const port = await freePort();
  const adminKey = `admin-${randomUUID()}`;
  const url = `http://127.0.0.1:${port}`;
  const started = startStack(['--backends', backends, '--data-dir', path.join(workDir, '.data')], {
    ROUTER_PORT: String(port), ROUTER_ADMIN_KEY: adminKey, ROUTER_PACKAGE_DIRS: path.join(workDir, 'packages'),
  });
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

  // A pipeline's release, posted as soon as the front door takes it.
  let releaseId: string | undefined;
  const deadline = performance.now() + 120_000;
  while (releaseId === undefined) {
    assert.ok(performance.now() < deadline, 'the front door never took the release');
    try {
      const response = await request(`${url}/admin/releases`, { method: 'POST', headers, body: JSON.stringify({ version: '1.2.0', package: pipelineRelease }) });
      const body = (await response.body.json()) as { id?: string };
      if (response.statusCode === 202) releaseId = body.id;
    } catch {
      // Nothing listens on the port yet.
    }
    if (releaseId === undefined) await sleep(50);
  }

  stack = await started;
  let state = 'running';
  while (state !== 'succeeded' && state !== 'failed') {
    assert.ok(performance.now() < deadline, 'the pipeline\'s release did not finish');
    state = ((await (await request(`${url}/admin/releases/${releaseId}`, { headers })).body.json()) as { state: string }).state;
    await sleep(100);
  }
  assert.equal(state, 'succeeded');
  // Seeding is over (the banner is out) and the release has finished: the map says 1.2 is current,
  // and the front door shows it once it has read the map again (it polls every 500 ms).
  let current: string | null = null;
  while (current !== '1.2') {
    assert.ok(performance.now() < deadline, `the current version is ${current}, not the pipeline's 1.2`);
    current = ((await (await request(`${url}/admin/versions`, { headers })).body.json()) as { current: string | null }).current;
    if (current !== '1.2') await sleep(100);
  }
});
