/**
 * An orchestration-versioning release onto its lineage's app, with the control plane killed
 * (SIGKILL) while it raises the app's version: the release resumes and finishes on the same app,
 * with no second app and the map as if nothing had happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { ReleaseStack, waitUntil, type ReleaseView } from './fixtures/release-stack.js';

const strategy = 'orchestration-versioning';

describe('orchestration versioning with the control plane killed mid-release', () => {
  let stack: ReleaseStack;

  before(async () => {
    stack = await ReleaseStack.start({ drainPollMs: 300, decommissionGraceMs: 600_000 });
    const { final } = await stack.release({ version: '1.0.0', package: await stack.stage('1.0.0'), strategy });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
  });

  after(async () => {
    await stack?.stop();
  });

  it('finishes a release onto the lineage it was killed in while raising the version, on the one app', async () => {
    // The release's settings reach the app with the version raise: its restart then takes 2.5 s, and the kill lands in it.
    const started = await stack.admin<{ id: string }>('POST', '/admin/releases', {
      version: '1.1.0', package: await stack.stage('1.1.0'), strategy, settings: { FIXTURE_START_DELAY_MS: '2500' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let seen: ReleaseView | undefined;
    await waitUntil(async () => {
      seen = (await stack.admin<ReleaseView>('GET', `/admin/releases/${started.body.id}`)).body;
      return seen.step === 'raising-version' || seen.state !== 'running';
    }, 30_000, 'the release raising the version');
    assert.equal(seen?.state, 'running', JSON.stringify(seen));

    await stack.killControlPlane();
    await stack.restartControlPlane();
    const { final } = await stack.waitForRelease(started.body.id, 60_000);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.deepEqual([final.kind, final.app], ['breaking', 'dr-local-v1-0']);

    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-0'], 'no second app');
    assert.equal((await stack.appProcesses('dr-local-v1-0')).length, 1, 'one process serves the lineage');
    const map = await stack.map();
    assert.equal(map.current, '1.1');
    assert.deepEqual(map.versions.map((entry) => [entry.routeKey, entry.app.name]), [['1.0', 'dr-local-v1-0'], ['1.1', 'dr-local-v1-0']]);
    assert.equal(findEntry(map, '1.1')?.state, 'active');
    assert.equal((await stack.app<{ version: string }>('GET', '/api/version')).body.version, '1.1.0');
    await waitUntil(async () => findEntry(await stack.map(), '1.0')?.state === 'drained', 15_000, '1.0, with no instances, drained');
  });
});
