/**
 * The release story end to end, on real processes and Azurite: clients keep starting journeys
 * (durable orchestrations that wait on a timer and ask an activity which version runs them) and
 * following their status through the front door while the router goes through two breaking
 * releases and one patch release. No request fails, no orchestration fails, every journey ends on
 * the app of the version it started on, the superseded apps are drained, decommissioned and
 * deleted, and their finished journeys can still be read. The same story, with the same
 * assertions, on the local platform and on Azure (a fake ARM whose sites really run).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { findEntry } from '../../shared/versions/version-map-operations.js';
import { repositoryRoot } from '../deployer/host/fixture-apps.js';
import { ReleaseStack, waitUntil } from '../router/control-plane/fixtures/release-stack.js';
import { testRouterKeys } from '../fixtures/router-keys.js';
import { ReleaseLoad, type Journey } from './fixtures/release-load.js';

const storyApp = path.join(repositoryRoot, 'test', 'e2e', 'fixtures', 'story-app');

function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

for (const platform of ['local', 'azure'] as const) describe(`the release story on the ${platform} platform`, () => {
  let stack: ReleaseStack;
  let load: ReleaseLoad | undefined;

  before(async () => {
    stack = await ReleaseStack.start({ drainPollMs: 300, decommissionGraceMs: 1_000, platform });
  });

  after(async () => {
    try {
      await load?.stop(0);
    } finally {
      await stack?.stop();
    }
  });

  /** Every app's keys, read from the platform while the app lives: none may reach a client or a log. */
  const appKeys = new Set<string>();

  async function release(version: string): Promise<void> {
    const packageDir = path.join(stack.packagesDir, `story-${version}`);
    await stageAppAsVersion(storyApp, packageDir, version);
    const { final } = await stack.release({ version, package: packageDir });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    const keys = await stack.platform().keys(final.app as string);
    appKeys.add(keys.function).add(keys.durableTask);
    appKeys.add(await stack.masterKeyOf(final.app as string));
  }

  function startedOn(routeKeyOrVersion: string): Journey[] {
    return (load?.journeys ?? []).filter((journey) => journey.routedVersion === routeKeyOrVersion || majorMinor(journey.routedVersion) === routeKeyOrVersion);
  }

  it('two breaking releases and a patch under continuous load: no failed request, no failed orchestration, old apps drained and gone', async (t) => {
    await release('1.0.0');
    load = new ReleaseLoad(stack.url, { waitSeconds: 2, startIntervalMs: 150, pollIntervalMs: 250, probeIntervalMs: 20 });
    load.pin('1.0');
    load.start();
    await waitUntil(() => startedOn('1.0').length >= 4, 15_000, 'journeys starting on 1.0');

    load.pin(undefined);
    await release('1.1.0');
    load.pin('1.1');
    await waitUntil(() => startedOn('1.1.0').length >= 4, 15_000, 'journeys starting on 1.1.0');

    await release('1.1.1');
    await waitUntil(() => startedOn('1.1.1').length >= 4, 15_000, 'journeys starting on 1.1.1');

    load.pin(undefined);
    await release('1.2.0');
    load.pin('1.2');
    await waitUntil(() => startedOn('1.2').length >= 4, 15_000, 'journeys starting on 1.2');
    await load.stop(30_000);

    const byVersion = new Map<string, number>();
    for (const journey of load.journeys) byVersion.set(journey.routedVersion, (byVersion.get(journey.routedVersion) ?? 0) + 1);
    t.diagnostic(`${load.requests} requests, ${load.failures.length} failed; ${load.journeys.length} journeys started: ${[...byVersion].map(([version, count]) => `${count} on ${version}`).join(', ')}`);
    assert.deepEqual(load.failures, [], 'every request answered with the expected 2xx');
    assert.deepEqual(load.unfinished.map((journey) => journey.id), [], 'every journey ended');
    const notCompleted = load.journeys.filter((journey) => journey.runtimeStatus !== 'Completed');
    assert.deepEqual(notCompleted.map((journey) => `${journey.id}: ${journey.runtimeStatus}`), [], 'no failed orchestration');
    for (const journey of load.journeys) {
      const app = majorMinor(journey.routedVersion);
      if (journey.named !== undefined) assert.equal(app, journey.named, `${journey.id} named ${journey.named}`);
      assert.equal(majorMinor(journey.output?.startedOn ?? ''), app, `${journey.id} started on ${journey.routedVersion}: ${JSON.stringify(journey.output)}`);
      assert.equal(majorMinor(journey.output?.completedOn ?? ''), app, `${journey.id} started on ${journey.routedVersion}: ${JSON.stringify(journey.output)}`);
    }
    assert.ok(load.journeys.some((journey) => journey.named !== undefined) && load.journeys.some((journey) => journey.named === undefined));

    // Clients saw the router's key in every URL, never an app's; no log holds an app's key.
    for (const journey of load.journeys) {
      assert.match(journey.statusQueryGetUri, new RegExp(`[?&]code=${testRouterKeys.durableApi}(&|$)`), journey.statusQueryGetUri);
      for (const key of appKeys) assert.ok(!journey.statusQueryGetUri.includes(key) && !journey.statusQueryGetUri.includes(encodeURIComponent(key)));
    }
    const secrets = [...appKeys, ...stack.routerSecrets];
    const leaked = stack.controlPlaneLog.filter((line) => secrets.some((key) => line.includes(key) || line.includes(encodeURIComponent(key))));
    assert.deepEqual(leaked, [], 'no app key, router key or token in the control plane\'s, the apps\' or the front door\'s log');
    assert.ok(!stack.controlPlaneLog.some((line) => /[?&]sig=(?!\[redacted\])/.test(line)), 'no signed package URL in a log');
    assert.ok(stack.controlPlaneLog.length > 0);

    // The superseded versions drain, are decommissioned and their apps deleted.
    await waitUntil(async () => {
      const map = await stack.map();
      return findEntry(map, '1.0')?.state === 'decommissioned' && findEntry(map, '1.1')?.state === 'decommissioned';
    }, 30_000, '1.0 and 1.1 decommissioned');
    const map = await stack.map();
    assert.equal(map.current, '1.2');
    assert.deepEqual(findEntry(map, '1.1')?.versions, ['1.1.0', '1.1.1']);
    await waitUntil(async () => (await stack.platformApps()).length === 1, 10_000, 'the superseded apps deleted');
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-2']);
    await waitUntil(async () => (await stack.appProcesses('dr-local-v1-0')).length + (await stack.appProcesses('dr-local-v1-1')).length === 0,
      10_000, 'the superseded apps\' processes exiting');

    // Their finished journeys are still answered, from the shared tracking store, by the current app.
    for (const routeKey of ['1.0', '1.1']) {
      const journey = startedOn(routeKey)[0] as Journey;
      const status = await stack.app<{ runtimeStatus: string; output: Journey['output'] }>('GET', new URL(journey.statusQueryGetUri).pathname + new URL(journey.statusQueryGetUri).search);
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.runtimeStatus, 'Completed');
      assert.deepEqual(status.body.output, journey.output);
      assert.equal(status.headers['x-routed-version'], '1.2.0');
    }
  });
});
