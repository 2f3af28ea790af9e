/**
 * The control plane is killed (SIGKILL) in the middle of its work and started again: the durable
 * engine resumes its orchestrations, every step is idempotent, and the work finishes with exactly
 * one app per major.minor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { processExists, ReleaseStack, waitUntil, type ReleaseView } from './fixtures/release-stack.js';

describe('the control plane killed mid-way', () => {
  let stack: ReleaseStack;

  before(async () => {
    stack = await ReleaseStack.start({ drainPollMs: 300, decommissionGraceMs: 3_000 });
    const { final } = await stack.release({ version: '1.0.0', package: await stack.stage('1.0.0') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
  });

  after(async () => {
    await stack?.stop();
  });

  it('finishes a release it was killed in, with exactly one app for the major.minor', async () => {
    const oldPids = await stack.appProcesses('dr-local-v1-0');
    assert.equal(oldPids.length, 1);
    // The new app takes 2.5 s to start, so the kill lands while the deploy waits for it.
    const started = await stack.admin<{ id: string }>('POST', '/admin/releases', {
      version: '1.1.0', package: await stack.stage('1.1.0'), settings: { FIXTURE_START_DELAY_MS: '2500' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let seen: ReleaseView | undefined;
    await waitUntil(async () => {
      seen = (await stack.admin<ReleaseView>('GET', `/admin/releases/${started.body.id}`)).body;
      return seen.step === 'deploying';
    }, 20_000, 'the release reaching its deploy step');
    await waitUntil(async () => (await stack.appProcesses('dr-local-v1-1')).length === 1, 10_000, 'the new app\'s process starting');

    await stack.killControlPlane();
    await waitUntil(async () => (await stack.appProcesses('dr-local-v1-1')).length === 0 && !processExists(oldPids[0]!), 10_000,
      'the apps, child processes of the control plane, exiting with it');
    const whileDown = await stack.admin<{ error: { code: string } }>('GET', `/admin/releases/${started.body.id}`);
    assert.equal(whileDown.status, 503);
    assert.equal(whileDown.body.error.code, 'CONTROL_PLANE_UNAVAILABLE');

    await stack.restartControlPlane();
    const { final } = await stack.waitForRelease(started.body.id, 60_000);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));

    const apps = await stack.platformApps();
    assert.deepEqual(apps.filter((app) => app.routeKey === '1.1').map((app) => app.name), ['dr-local-v1-1']);
    assert.deepEqual(apps.map((app) => app.name), ['dr-local-v1-0', 'dr-local-v1-1']);
    assert.equal((await stack.appProcesses('dr-local-v1-1')).length, 1, 'one process serves the new app');
    const map = await stack.map();
    assert.equal(map.current, '1.1');
    assert.equal(findEntry(map, '1.1')?.state, 'active');
    const served = await stack.app<{ version: string; message: string | null }>('GET', '/api/version');
    assert.equal(served.body.version, '1.1.0');
    assert.notEqual(findEntry(map, '1.0')?.state, 'active', '1.0 was superseded');
  });

  it('a drain monitor killed during the grace period still decommissions the drained version', async () => {
    await waitUntil(async () => findEntry(await stack.map(), '1.0')?.state === 'drained', 10_000, '1.0 draining to drained');
    assert.equal((await stack.appProcesses('dr-local-v1-0')).length, 1, 'the drained app is kept for the grace period (resumed after the restart)');
    await stack.killControlPlane();
    await stack.restartControlPlane();
    await waitUntil(async () => findEntry(await stack.map(), '1.0')?.state === 'decommissioned', 20_000, '1.0 decommissioned after the restart');
    await waitUntil(async () => (await stack.appProcesses('dr-local-v1-0')).length === 0, 10_000, 'the 1.0 app process gone');
    // Its process stops first, then its folder goes.
    await waitUntil(async () => (await stack.platformApps()).length === 1, 10_000, 'the 1.0 app deleted');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);
    assert.equal((await stack.app<{ version: string }>('GET', '/api/version')).body.version, '1.1.0');
  });
});
