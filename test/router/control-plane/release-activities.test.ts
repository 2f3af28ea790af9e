/**
 * Every step of a release, run twice (as after a crash that lost its result), does its work once.
 * The activities run in this process against real Azurite and a real local platform.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import type { AppHealth } from '../../../deployer/platform/platform.js';
import { releaseActivities, type PromotionResult, type ReleasePlan } from '../../../router/control-plane/releases/release-activities.js';
import { activityNames } from '../../../router/control-plane/function-names.js';
import { controlPlaneRuntime } from '../../../router/control-plane/runtime/control-plane-runtime.js';
import { versionActivities, type Decommissioning } from '../../../router/control-plane/versions/version-activities.js';
import { stageAppAsVersion } from '../../../router/embedded/staged-app.js';
import type { Outcome } from '../../../router/control-plane/durable/outcome.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `release-activities-${randomUUID()}`);
Object.assign(process.env, {
  ROUTER_STORAGE: azurite.connectionString,
  ROUTER_PLATFORM_ROOT: path.join(workDir, 'platform'),
  ROUTER_CONTROL_PLANE_DATA: path.join(workDir, 'control-plane'),
  ROUTER_CONTROL_PLANE_KEY: 'activities-test-key-0123',
  ROUTER_SECRETS_KEY: 'activities-test-secrets-key-0123456789',
  ROUTER_PACKAGE_DIRS: path.join(workDir, 'packages'),
  ROUTER_MAP_PROPAGATION_MS: '0',
  LOG_LEVEL: 'silent',
});
const activities = { ...releaseActivities, ...versionActivities };

async function run<T>(name: string, input: unknown): Promise<T> {
  const outcome = (await activities[name]!.handler(input, undefined as never)) as Outcome<T>;
  if (!outcome.ok) throw new Error(`${name} failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.value;
}

/** Runs the step twice; answers both results. */
async function twice<T>(name: string, input: unknown): Promise<[T, T]> {
  return [await run<T>(name, input), await run<T>(name, input)];
}

/** A package as the release API keeps it: taken in and stored by its hash. */
async function keptPackage(version: string, variant: 'good' | 'no-functions' = 'good'): Promise<string> {
  const dir = path.join(workDir, 'packages', `${version}-${variant}`);
  await stageAppAsVersion(fixtureApp('release-app'), dir, version);
  if (variant === 'no-functions') await writeFile(path.join(dir, 'src', 'functions.js'), '// registers nothing\n');
  const runtime = controlPlaneRuntime();
  const taken = await runtime.intake.takeIn({ kind: 'reference', reference: dir }, version);
  await runtime.packages.keep(taken);
  return taken.sha256;
}

async function releaseOnce(version: string, sha256: string): Promise<ReleasePlan> {
  const plan = await run<ReleasePlan>(activityNames.plan, { version });
  if (plan.kind === 'breaking') await run(activityNames.provision, { plan });
  await run(activityNames.configure, { plan, releaseId: `release-${version}-test`, settingNames: [] });
  await run(activityNames.deploy, { appName: plan.appName, sha256 });
  await run(activityNames.record, { plan, sha256 });
  if (plan.kind === 'breaking') await run(activityNames.promote, { routeKey: plan.routeKey });
  return plan;
}

describe('release steps run twice', () => {
  before(async () => {
    await controlPlaneRuntime().start();
  });

  after(async () => {
    await controlPlaneRuntime().stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('provision, configure, deploy, record and promote a breaking release once', async () => {
    const runtime = controlPlaneRuntime();
    const sha256 = await keptPackage('1.0.0');
    const plan = await run<ReleasePlan>(activityNames.plan, { version: '1.0.0' });
    assert.deepEqual(plan, { kind: 'breaking', routeKey: '1.0', version: '1.0.0', appName: 'dr-local-v1-0', taskHub: 'localv1x0' });

    const [first, second] = await twice<{ url: string }>(activityNames.provision, { plan });
    assert.equal(second.url, first.url);
    assert.equal(findEntry(await runtime.store.read().then((s) => s.map), '1.0')?.state, 'provisioning');
    await runtime.releaseSettings.put('release-1.0.0-test', { FIXTURE_MESSAGE: 'hello' });
    const configure = { plan, releaseId: 'release-1.0.0-test', settingNames: ['FIXTURE_MESSAGE'] };
    assert.deepEqual(await twice(activityNames.configure, configure), [{ configured: true }, { configured: false }]);
    assert.deepEqual(await twice(activityNames.deploy, { appName: plan.appName, sha256 }), [{ deployed: true }, { deployed: false }]);
    const health = await run<AppHealth>(activityNames.probe, { appName: plan.appName });
    assert.equal(health.healthy, true, health.detail);
    const served = (await (await fetch(`${first.url}/api/version`)).json()) as { version: string; message: string };
    assert.deepEqual([served.version, served.message], ['1.0.0', 'hello']);

    await twice(activityNames.record, { plan, sha256 });
    await twice<PromotionResult>(activityNames.promote, { routeKey: '1.0' });
    const { map } = await runtime.store.read();
    assert.equal(map.current, '1.0');
    assert.deepEqual(findEntry(map, '1.0')?.versions, ['1.0.0']);
    assert.equal((await runtime.appRecords.get(plan.appName)).healthyPackage, sha256);
    assert.equal((await runtime.platform().then((p) => p.list())).length, 1);
  });

  it('a patch that deployed but never became healthy gets the last healthy package back', async () => {
    const runtime = controlPlaneRuntime();
    const healthy = (await runtime.appRecords.get('dr-local-v1-0')).healthyPackage;
    const sha256 = await keptPackage('1.0.1', 'no-functions');
    const plan = await run<ReleasePlan>(activityNames.plan, { version: '1.0.1' });
    assert.deepEqual([plan.kind, plan.appName, plan.previous], ['patch', 'dr-local-v1-0', '1.0.0']);
    await runtime.releaseSettings.put('release-1.0.1-test', { FIXTURE_MESSAGE: 'hello' });
    await run(activityNames.configure, { plan, releaseId: 'release-1.0.1-test', settingNames: ['FIXTURE_MESSAGE'] });
    assert.deepEqual(await run(activityNames.deploy, { appName: plan.appName, sha256 }), { deployed: true });
    const health = await run<AppHealth>(activityNames.probe, { appName: plan.appName });
    assert.equal(health.healthy, false);
    assert.match(health.detail, /registered no functions/);

    const [undone] = await twice<{ cleanup: string[] }>(activityNames.abandon, { plan, sha256 });
    assert.match(undone.cleanup.join(' '), /package of 1\.0\.0 was deployed again/);
    const app = await runtime.platform().then((p) => p.get(plan.appName));
    assert.equal(app?.deployment?.sha256, healthy);
    await twice(activityNames.finish, { routeKey: '1.0', releaseId: 'release-1.0.1-test', sha256, keepPackage: false });
    assert.equal(await runtime.packages.localPath(sha256), undefined, 'the failed package is not kept');
    assert.notEqual(await runtime.packages.localPath(healthy!), undefined, 'the healthy one is');
    assert.deepEqual(findEntry((await runtime.store.read()).map, '1.0')?.versions, ['1.0.0']);
    assert.equal(await runtime.releaseSettings.get('release-1.0.1-test'), undefined, 'the release\'s sealed settings go when it ends');
  });

  it('configure refuses, naming the settings but no value, when the release\'s settings are no longer kept', async () => {
    const plan = await run<ReleasePlan>(activityNames.plan, { version: '1.0.2' });
    const outcome = (await activities[activityNames.configure]!.handler({ plan, releaseId: 'release-1.0.2-gone', settingNames: ['FIXTURE_MESSAGE'] }, undefined as never)) as Outcome<unknown>;
    assert.equal(!outcome.ok && outcome.error.code, 'INTERNAL');
    assert.match(!outcome.ok ? outcome.error.message : '', /release-1\.0\.2-gone \(FIXTURE_MESSAGE\) are no longer kept/);
  });

  it('decommission marks the map once and deletes the app once', async () => {
    const runtime = controlPlaneRuntime();
    await releaseOnce('1.1.0', await keptPackage('1.1.0'));
    assert.equal(findEntry((await runtime.store.read()).map, '1.0')?.state, 'draining');
    const outcome = (await activities[activityNames.decommission]!.handler({ routeKey: '1.0', force: false }, undefined as never)) as Outcome<Decommissioning>;
    assert.equal(!outcome.ok && outcome.error.code, 'VERSION_STATE_CONFLICT', 'a draining version needs force');

    const [marked] = await twice<Decommissioning>(activityNames.decommission, { routeKey: '1.0', force: true });
    assert.deepEqual([marked.state, marked.app, marked.settleMs], ['decommissioned', 'dr-local-v1-0', 0]);
    await twice(activityNames.deleteApp, { routeKey: '1.0' });
    assert.deepEqual((await runtime.platform().then((p) => p.list())).map((app) => app.name), ['dr-local-v1-1']);
    assert.equal((await runtime.appRecords.get('dr-local-v1-0')).healthyPackage, undefined);
  });
});
