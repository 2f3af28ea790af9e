/**
 * The release story end to end, through the front door's admin API, on real processes: releases
 * of a small durable app, its drain and decommission, rollback, forced decommission, refusals and
 * failed releases. The tests run in order on one router; each leaves the map as the next expects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { processExists, ReleaseStack, waitUntil } from './fixtures/release-stack.js';

interface VersionAnswer { version: string; pid: number }

describe('releases, drain and decommission through the admin API', () => {
  let stack: ReleaseStack;

  before(async () => {
    stack = await ReleaseStack.start();
  });

  after(async () => {
    await stack?.stop();
  });

  it('needs the admin key at the front door, and the control plane\'s own key behind it', async () => {
    const answer = await stack.admin('POST', '/admin/releases', { version: '1.0.0', package: '/nowhere' }, 'not-the-admin-key');
    assert.equal(answer.status, 401);
    assert.equal((answer.body as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const direct = await fetch(`${stack.controlPlane.url}/api/releases`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` }, body: '{}' });
    assert.equal(direct.status, 401, 'the admin key is not the control plane\'s key');
  });

  it('releases a first version: its own app serves it and it becomes current', async () => {
    const { final, seen } = await stack.release({ version: '1.0.0', package: await stack.stage('1.0.0') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.deepEqual({ version: final.version, strategy: final.strategy, step: final.step, progress: final.progress, kind: final.kind, app: final.app },
      { version: '1.0.0', strategy: 'app-routing', step: 'done', progress: 100, kind: 'breaking', app: 'dr-local-v1-0' });
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.progress >= seen[i - 1]!.progress, `progress went back: ${seen.map((s) => `${s.step}:${s.progress}`).join(' ')}`);

    const map = await stack.map();
    assert.equal(map.current, '1.0');
    assert.equal(findEntry(map, '1.0')?.state, 'active');
    const served = await stack.app<VersionAnswer>('GET', '/api/version');
    assert.equal(served.status, 200);
    assert.equal(served.body.version, '1.0.0');
    assert.equal(served.headers['x-routed-version'], '1.0.0');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-0']);
  });

  it('refuses what cannot be released before anything is provisioned', async () => {
    const refusals: [Record<string, unknown>, number, string, RegExp][] = [
      [{ version: '1.0.0', package: await stack.stage('1.0.0') }, 409, 'VERSION_EXISTS', /already deployed/],
      [{ version: '0.9.0', package: await stack.stage('0.9.0') }, 409, 'VERSION_DOWNGRADE', /below 1\.0/],
      [{ version: '1.0.1', package: await stack.stage('1.0.2') }, 422, 'PACKAGE_VERSION_MISMATCH', /says version "1\.0\.2"/],
      [{ version: '1.0.1', package: '/etc' }, 403, 'PACKAGE_NOT_ALLOWED', /package directories/],
      [{ version: '1.0.1', package: await stack.stage('1.0.1'), strategy: 'slot-swap' }, 400, 'STRATEGY_NOT_AVAILABLE', /not available yet/],
      [{ version: '1.0.1', package: await stack.stage('1.0.1'), promte: true }, 400, 'INVALID_REQUEST', /Unknown release field/],
    ];
    for (const [body, status, code, message] of refusals) {
      const answer = await stack.admin<{ error: { code: string; message: string } }>('POST', '/admin/releases', body);
      assert.equal(answer.status, status, `${JSON.stringify(body)} → ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, code);
      assert.match(answer.body.error.message, message);
    }
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-0']);
    assert.deepEqual(findEntry(await stack.map(), '1.0')?.versions, ['1.0.0']);
    const unknown = await stack.admin<{ error: { code: string } }>('GET', '/admin/releases/release-9.9.9-00000000');
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'RELEASE_NOT_FOUND']);
    const notARelease = await stack.admin<{ error: { code: string } }>('GET', '/admin/releases/drain-monitor-1.0');
    assert.equal(notARelease.status, 404);
  });

  it('releases a patch, uploaded as a zip, onto the same app; the version list grows', async () => {
    const before = await stack.app<VersionAnswer>('GET', '/api/version');
    const zip = await zipDirectory(await stack.stage('1.0.1'));
    const started = await stack.upload<{ id: string; statusUrl: string }>('/admin/releases?version=1.0.1', zip.stream);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.statusUrl, `${stack.url}/admin/releases/${started.body.id}`);
    assert.equal(started.headers['location'], started.body.statusUrl);
    const { final } = await stack.waitForRelease(started.body.id);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.equal(final.kind, 'patch');
    assert.equal(final.app, 'dr-local-v1-0');

    const entry = findEntry(await stack.map(), '1.0');
    assert.deepEqual(entry?.versions, ['1.0.0', '1.0.1']);
    const after = await stack.app<VersionAnswer>('GET', '/api/version');
    assert.equal(after.body.version, '1.0.1');
    assert.notEqual(after.body.pid, before.body.pid, 'the new code runs in a new process');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-0'], 'no second app');
  });

  it('lets only one release change a major.minor at a time', async () => {
    const [a, b] = await Promise.all([
      stack.admin<{ id: string; error?: { code: string; message: string; details: { releaseId: string } } }>('POST', '/admin/releases', { version: '1.0.2', package: await stack.stage('1.0.2') }),
      stack.admin<{ id: string; error?: { code: string; message: string; details: { releaseId: string } } }>('POST', '/admin/releases', { version: '1.0.3', package: await stack.stage('1.0.3') }),
    ]);
    const winner = a.status === 202 ? a : b;
    const loser = a.status === 202 ? b : a;
    assert.deepEqual([winner.status, loser.status], [202, 409], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`);
    assert.equal(loser.body.error?.code, 'RELEASE_IN_PROGRESS');
    assert.equal(loser.body.error?.details.releaseId, winner.body.id);
    assert.match(loser.body.error?.message ?? '', new RegExp(`already in progress: ${winner.body.id}`));
    const { final } = await stack.waitForRelease(winner.body.id);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
  });

  it('releases a breaking version: new app, current moves, the old one drains, is decommissioned, and its app goes', async () => {
    const started = await stack.app<{ id: string }>('POST', '/api/waits/held-by-1-0');
    assert.equal(started.status, 202);
    const oldApp = await stack.app<VersionAnswer>('GET', '/api/version');
    const oldVersion = findEntry(await stack.map(), '1.0')!.latest;

    const { final } = await stack.release({ version: '1.1.0', package: await stack.stage('1.1.0') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.equal(final.app, 'dr-local-v1-1');
    let map = await stack.map();
    assert.equal(map.current, '1.1');
    assert.equal(findEntry(map, '1.0')?.state, 'draining');
    assert.equal((await stack.app<VersionAnswer>('GET', '/api/version')).body.version, '1.1.0');
    const refused = await stack.app<{ error: { code: string } }>('GET', '/api/version', { 'x-app-version': '1.0' });
    assert.equal(refused.status, 410);
    assert.equal(refused.body.error.code, 'VERSION_DRAINING');

    const countedOnFrontDoor = async (): Promise<boolean> => {
      const versions = await stack.admin<{ versions: { routeKey: string; instances: { running: number } | null }[] }>('GET', '/admin/versions');
      return versions.body.versions.find((v) => v.routeKey === '1.0')?.instances?.running === 1;
    };
    await waitUntil(countedOnFrontDoor, 10_000, 'the drain monitor counting the running instance of 1.0, shown by GET /admin/versions');
    assert.equal(findEntry(await stack.map(), '1.0')?.state, 'draining', 'an unfinished instance keeps it draining');

    // The instance's calls still reach the 1.0 app, whatever the current version is.
    const signal = await stack.app('POST', '/runtime/webhooks/durabletask/instances/held-by-1-0/raiseEvent/Go', {}, 'go');
    assert.equal(signal.status, 202, JSON.stringify(signal.body));
    assert.equal(signal.headers['x-routed-version'], oldVersion);
    await waitUntil(async () => findEntry(await stack.map(), '1.0')?.state === 'decommissioned', 20_000, '1.0 draining, then decommissioned');
    map = await stack.map();
    assert.ok(findEntry(map, '1.0')?.drainedAt !== undefined && findEntry(map, '1.0')?.decommissionedAt !== undefined);
    await stack.frontDoorCaughtUp();
    await waitUntil(() => !processExists(oldApp.body.pid), 10_000, 'the 1.0 app process exiting');
    await waitUntil(async () => (await stack.platformApps()).length === 1, 5_000, 'the 1.0 app deleted');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);

    const status = await stack.app<{ runtimeStatus: string; output: { version: string } }>('GET', '/runtime/webhooks/durabletask/instances/held-by-1-0');
    assert.equal(status.status, 200, 'a finished instance of a decommissioned version is still answered');
    assert.equal(status.body.runtimeStatus, 'Completed');
    assert.equal(status.body.output.version, oldVersion);
    assert.equal(status.headers['x-routed-version'], '1.1.0', 'answered by the current app from the shared tracking store');
  });

  it('rolls back: a draining version becomes current again and its drain monitor stops', async () => {
    assert.equal((await stack.app('POST', '/api/waits/held-by-1-1')).status, 202);
    const { final } = await stack.release({ version: '2.0.0', package: await stack.stage('2.0.0') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.equal(findEntry(await stack.map(), '1.1')?.state, 'draining');

    const rollback = await stack.admin<{ routeKey: string; state: string; current: string }>('POST', '/admin/versions/1.1/current');
    assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
    assert.deepEqual({ routeKey: rollback.body.routeKey, state: rollback.body.state, current: rollback.body.current }, { routeKey: '1.1', state: 'active', current: '1.1' });
    const map = await stack.map();
    assert.equal(map.current, '1.1');
    assert.equal(findEntry(map, '2.0')?.state, 'active', 'the newer version stays active');
    await waitUntil(async () => (await stack.app<VersionAnswer>('GET', '/api/version')).body.version === '1.1.0', 5_000, 'the front door routing to 1.1 again');
    const controlPlaneKeys = await stack.controlPlane.hostSecrets();
    const monitor = await fetch(`${stack.controlPlane.url}/runtime/webhooks/durabletask/instances/drain-monitor-1.1`, {
      headers: { 'x-functions-key': controlPlaneKeys.systemKeys['durabletask_extension'] as string },
    });
    const monitorStatus = (await monitor.json()) as { runtimeStatus: string };
    assert.ok(['Terminated', 'Completed'].includes(monitorStatus.runtimeStatus), monitorStatus.runtimeStatus);
  });

  it('refuses to decommission an undrained version, naming what it would abandon; force does it', async () => {
    assert.equal((await stack.app('POST', '/api/waits/held-by-2-0', { 'x-app-version': '2.0' })).status, 202);
    const current = await stack.admin<{ error: { code: string; message: string } }>('DELETE', '/admin/versions/1.1?force=true');
    assert.equal(current.status, 409);
    assert.match(current.body.error.message, /current version/);

    const refused = await stack.admin<{ error: { code: string; message: string; details: { instances: { total: number; running: number } } } }>('DELETE', '/admin/versions/2.0');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'VERSION_STATE_CONFLICT');
    assert.equal(refused.body.error.details.instances.total, 1);
    assert.match(refused.body.error.message, /would abandon 1 unfinished instance\b.*force=true/);
    assert.equal(findEntry(await stack.map(), '2.0')?.state, 'active');

    const forced = await stack.admin<{ state: string; forced: boolean; abandoned: { running: number; total: number } }>('DELETE', '/admin/versions/2.0?force=true');
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    assert.deepEqual({ state: forced.body.state, forced: forced.body.forced, total: forced.body.abandoned.total, running: forced.body.abandoned.running },
      { state: 'decommissioned', forced: true, total: 1, running: 1 });
    assert.equal(findEntry(await stack.map(), '2.0')?.state, 'decommissioned');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);
    const gone = await stack.app<{ error: { code: string } }>('GET', '/api/version', { 'x-app-version': '2.0' });
    assert.equal(gone.body.error.code, 'VERSION_DECOMMISSIONED');
  });

  it('a breaking release that fails leaves no version and no app behind, and the major.minor can be released again', async () => {
    const { final } = await stack.release({ version: '3.0.0', package: await stack.stage('3.0.0', 'broken') });
    assert.equal(final.state, 'failed');
    assert.equal(final.failedStep, 'deploying');
    assert.equal(final.error?.code, 'PLATFORM_DEPLOY_FAILED');
    assert.match(final.error?.message ?? '', /broken on purpose/);
    assert.ok(final.cleanup?.some((line) => /dr-local-v3-0 was deleted/.test(line)), JSON.stringify(final.cleanup));
    const map = await stack.map();
    assert.equal(findEntry(map, '3.0')?.state, 'failed');
    assert.equal(map.current, '1.1');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);
    assert.equal((await stack.app('GET', '/api/version', { 'x-app-version': '3.0' })).status, 404);

    const retried = await stack.release({ version: '3.0.1', package: await stack.stage('3.0.1'), promote: false });
    assert.equal(retried.final.state, 'succeeded', JSON.stringify(retried.final));
    assert.equal(findEntry(await stack.map(), '3.0')?.state, 'active');
    assert.equal((await stack.map()).current, '1.1', 'promote: false leaves current alone');
  });

  it('a patch that fails keeps the app serving the previous version', async () => {
    const { final } = await stack.release({ version: '1.1.1', package: await stack.stage('1.1.1', 'broken') });
    assert.equal(final.state, 'failed');
    assert.equal(final.error?.code, 'PLATFORM_DEPLOY_FAILED');
    assert.deepEqual(findEntry(await stack.map(), '1.1')?.versions, ['1.1.0']);
    assert.equal((await stack.app<VersionAnswer>('GET', '/api/version', { 'x-app-version': '1.1' })).body.version, '1.1.0');
  });

  it('drains a version on request; its monitor decommissions it once it has drained', async () => {
    const drained = await stack.admin<{ routeKey: string; state: string }>('POST', '/admin/versions/3.0/drain');
    assert.equal(drained.status, 200, JSON.stringify(drained.body));
    assert.equal(drained.body.state, 'draining');
    const current = await stack.admin<{ error: { code: string } }>('POST', '/admin/versions/1.1/drain');
    assert.deepEqual([current.status, current.body.error.code], [409, 'VERSION_STATE_CONFLICT']);
    await waitUntil(async () => findEntry(await stack.map(), '3.0')?.state === 'decommissioned', 20_000, '3.0 drained and decommissioned');
    // The app goes once front doors have had time to see the map say so.
    await waitUntil(async () => (await stack.platformApps()).length === 1, 5_000, 'the 3.0 app deleted');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);
  });
});
