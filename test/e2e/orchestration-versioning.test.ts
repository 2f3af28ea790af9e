/**
 * Orchestration versioning end to end, with the sample app, on the local platform and on Azure (a
 * fake ARM whose sites really run): one app for the lineage; in-flight orchestrations (one waiting
 * on an event, one on a durable timer) finish on the branch of the version they started on while
 * new ones take the new branch; per-version counts drain; lowering is refused; a patch goes onto
 * the same app; another strategy for the same major.minor is refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { findEntry } from '../../shared/versions/version-map-operations.js';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { repositoryRoot, sampleAppDir } from '../deployer/host/fixture-apps.js';
import { ReleaseStack, waitUntil, type HttpAnswer } from '../router/control-plane/fixtures/release-stack.js';

const strategy = 'orchestration-versioning';
const cli = path.join(repositoryRoot, 'dist', 'router', 'cli', 'main.js');

interface Started { id: string; statusQueryGetUri: string }
interface Status { runtimeStatus: string; customStatus?: { stage?: string }; output?: Record<string, unknown> }
interface Listed { instanceId: string; routeKey: string; version: string | null }
interface VersionsAnswer {
  current: string | null;
  versions: { routeKey: string; state: string; strategy: string; app: { name: string }; drainedAt: string | null; instances: { running: number; pending: number } | null }[];
}

for (const platform of ['local', 'azure'] as const) {
  describe(`orchestration versioning with the sample app (${platform} platform)`, () => {
    let stack: ReleaseStack;
    let staged = 0;
    const appName = 'dr-local-v1-0';
    const stage = async (version: string): Promise<string> => {
      const dir = path.join(stack.packagesDir, `sample-${version}-${++staged}`);
      await stageAppAsVersion(sampleAppDir, dir, version);
      return dir;
    };
    const status = async (started: Started): Promise<HttpAnswer<Status>> => {
      const url = new URL(started.statusQueryGetUri);
      return stack.app<Status>('GET', url.pathname + url.search);
    };
    const finished = async (started: Started, timeoutMs = 60_000): Promise<Status> => {
      let last: Status | undefined;
      await waitUntil(async () => {
        last = (await status(started)).body;
        return !['Running', 'Pending', 'ContinuedAsNew'].includes(last.runtimeStatus);
      }, timeoutMs, `instance ${started.id} finishing`);
      return last as Status;
    };
    const entryOf = async (routeKey: string) => findEntry(await stack.map(), routeKey);

    let waitingForEvent: Started;
    let waitingOnTimer: Started;
    let waitingOn11: Started;

    before(async () => {
      // A long grace: drained versions stay drained until decommissioned by hand.
      stack = await ReleaseStack.start({ platform, drainPollMs: 300, decommissionGraceMs: 600_000 });
    });

    after(async () => {
      await stack?.stop();
    });

    it('releases 1.0.0 with orchestration versioning onto an app of its own, the lineage\'s', async () => {
      const { final } = await stack.release({ version: '1.0.0', package: await stage('1.0.0'), strategy });
      assert.equal(final.state, 'succeeded', JSON.stringify(final));
      assert.deepEqual([final.strategy, final.kind, final.app], [strategy, 'breaking', appName]);
      assert.deepEqual((await stack.platformApps()).map((app) => app.name), [appName]);
      assert.equal((await entryOf('1.0'))?.strategy, strategy);
    });

    it('starts an order that waits for an approval event and a monitor asleep on a durable timer', async () => {
      const order = await stack.app<Started>('POST', '/api/orders', {}, { orderId: 'ov-ada', customer: 'Ada', items: [{ sku: 'piano', quantity: 1, unitPrice: 2500 }] });
      assert.equal(order.status, 202, JSON.stringify(order.body));
      waitingForEvent = order.body;
      // One 25 s timer: it is still asleep when 1.1.0 has been released.
      const monitor = await stack.app<Started>('POST', '/api/monitors/inventory/ov-widget', {}, { intervalSeconds: 25, maxIterations: 2 });
      assert.equal(monitor.status, 202, JSON.stringify(monitor.body));
      waitingOnTimer = monitor.body;
      await waitUntil(async () => (await status(waitingForEvent)).body.customStatus?.stage === 'awaitingApproval', 30_000, 'the order awaiting approval');
    });

    it('releases 1.1.0 onto the same app: no new app, new code first, then the version raised; 1.0 drains', async () => {
      const { final, seen } = await stack.release({ version: '1.1.0', package: await stage('1.1.0'), strategy });
      assert.equal(final.state, 'succeeded', JSON.stringify(final));
      assert.deepEqual([final.kind, final.app], ['breaking', appName]);
      const steps = [...new Set(seen.map((view) => view.step))];
      if (steps.includes('raising-version') && steps.includes('deploying')) assert.ok(steps.indexOf('raising-version') > steps.indexOf('deploying'), `steps: ${steps.join(' ')}`);
      assert.ok(!steps.includes('configuring'), `the version is raised after the deploy, never configured first: ${steps.join(' ')}`);
      assert.deepEqual((await stack.platformApps()).map((app) => app.name), [appName], 'no new app');
      const map = await stack.map();
      assert.equal(map.current, '1.1');
      assert.deepEqual(map.versions.map((entry) => [entry.routeKey, entry.state, entry.app.name, entry.app.taskHub]),
        [['1.0', 'draining', appName, findEntry(map, '1.0')?.app.taskHub], ['1.1', 'active', appName, findEntry(map, '1.0')?.app.taskHub]]);
      assert.equal((await status(waitingOnTimer)).body.runtimeStatus, 'Running', 'the monitor is still asleep on its timer');
    });

    it('runs new instances on the new branch; a start naming 1.0 is refused, naming the current version', async () => {
      const order = await stack.app<Started>('POST', '/api/orders', {}, { orderId: 'ov-grace', customer: 'Grace', items: [{ sku: 'pen', quantity: 2, unitPrice: 5 }] });
      assert.equal(order.status, 202, JSON.stringify(order.body));
      assert.equal(order.headers['x-routed-version'], '1.1.0');
      const done = await finished(order.body);
      assert.equal(done.runtimeStatus, 'Completed', JSON.stringify(done));
      assert.equal(done.output?.['loyaltyPoints'], 1, `1.1's branch awards points: ${JSON.stringify(done.output)}`);
      // A 1.1 order that waits for approval until the end: it must not keep 1.0 from draining.
      const waiting = await stack.app<Started>('POST', '/api/orders', {}, { orderId: 'ov-hopper', customer: 'Hopper', items: [{ sku: 'desk', quantity: 2, unitPrice: 600 }] });
      assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
      waitingOn11 = waiting.body;
      const refused = await stack.app<{ error: { code: string; message: string } }>('POST', '/api/orders', { 'x-app-version': '1.0' }, { customer: 'Alan', items: [{ sku: 'pen', quantity: 1, unitPrice: 1 }] });
      assert.equal(refused.status, 410);
      assert.equal(refused.body.error.code, 'VERSION_DRAINING');
      assert.match(refused.body.error.message, /current version is 1\.1\.0/);
    });

    it('counts 1.0\'s in-flight instances by their Version, and lists each instance under the version it started on', async () => {
      await waitUntil(async () => ((await entryOf('1.0'))?.instances?.running ?? 0) >= 2, 10_000, '1.0\'s drain monitor counting its two instances');
      const listed = await stack.admin<{ instances: Listed[] }>('GET', '/admin/instances?top=100');
      const byId = new Map(listed.body.instances.map((instance) => [instance.instanceId, instance]));
      assert.deepEqual([byId.get('ov-ada')?.routeKey, byId.get('ov-ada')?.version], ['1.0', '1.0.0']);
      assert.deepEqual([byId.get('inventory-ov-widget')?.routeKey, byId.get('inventory-ov-widget')?.version], ['1.0', '1.0.0']);
      assert.deepEqual([byId.get('ov-grace')?.routeKey, byId.get('ov-grace')?.version], ['1.1', '1.1.0']);
      assert.deepEqual([byId.get('ov-hopper')?.routeKey, byId.get('ov-hopper')?.version], ['1.1', '1.1.0']);
      const only10 = await stack.admin<{ instances: Listed[] }>('GET', '/admin/instances?version=1.0');
      assert.deepEqual(only10.body.instances.map((instance) => instance.instanceId).sort(), ['inventory-ov-widget', 'ov-ada']);
    });

    it('finishes the in-flight instances on 1.0\'s branch, on the app that now runs 1.1.0\'s code', async () => {
      const approval = await stack.app('POST', '/api/orders/ov-ada/approval', {}, { approved: true, by: 'Lin' });
      assert.equal(approval.status, 202, JSON.stringify(approval.body));
      const order = await finished(waitingForEvent);
      assert.equal(order.runtimeStatus, 'Completed', JSON.stringify(order));
      assert.equal(order.output?.['loyaltyPoints'], undefined, `1.0's branch awards no points: ${JSON.stringify(order.output)}`);
      assert.equal(order.output?.['appVersion'], '1.1.0', 'shipped by the new code');
      const monitor = await finished(waitingOnTimer, 90_000);
      assert.equal(monitor.runtimeStatus, 'Completed', JSON.stringify(monitor));
      assert.equal(monitor.output?.['checks'], 2);
      assert.equal('restock' in (monitor.output ?? {}), false, `1.0's branch says nothing of restocking: ${JSON.stringify(monitor.output)}`);
    });

    it('sees 1.0 drain to 0, records when, and says its code branch can be deleted', async () => {
      await waitUntil(async () => (await entryOf('1.0'))?.state === 'drained', 15_000, '1.0 drained');
      const entry = await entryOf('1.0');
      assert.ok(entry?.drainedAt !== undefined);
      assert.deepEqual([entry?.instances?.running, entry?.instances?.pending], [0, 0]);
      assert.equal((await status(waitingOn11)).body.runtimeStatus, 'Running', '1.1\'s instance on the same app and task hub is not 1.0\'s');
      await stack.frontDoorCaughtUp();
      const versions = await stack.admin<VersionsAnswer>('GET', '/admin/versions');
      const shown = versions.body.versions.find((version) => version.routeKey === '1.0');
      assert.deepEqual([shown?.state, shown?.strategy, shown?.drainedAt], ['drained', strategy, entry?.drainedAt]);
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'versions', '--url', stack.url, '--admin-key', stack.adminKey]);
      assert.match(stdout, new RegExp(`1\\.0 drained at ${entry?.drainedAt?.replace(/\./g, '\\.')}: no instance runs its branch any more; its code branch \\(context\\.df\\.version 1\\.0\\.x\\) can be deleted`));
    });

    it('refuses a release that would lower the app\'s version, before anything is claimed', async () => {
      const refused = await stack.admin<{ error: { code: string; message: string } }>('POST', '/admin/releases', { version: '1.0.1', package: await stage('1.0.1'), strategy });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'VERSION_DOWNGRADE');
      assert.match(refused.body.error.message, /1\.0\.1 would lower the orchestration version of dr-local-v1-0, which stamps new instances with 1\.1\.0/);
      assert.deepEqual(findEntry(await stack.map(), '1.0')?.versions, ['1.0.0']);
    });

    it('decommissions 1.0 without deleting the app 1.1 runs on; calls about 1.0\'s instances still reach it', async () => {
      const gone = await stack.admin<{ state: string }>('DELETE', '/admin/versions/1.0');
      assert.equal(gone.status, 200, JSON.stringify(gone.body));
      assert.equal(gone.body.state, 'decommissioned');
      assert.deepEqual((await stack.platformApps()).map((app) => app.name), [appName]);
      const served = await stack.app<{ version: string }>('GET', '/api/version');
      assert.deepEqual([served.status, served.body.version], [200, '1.1.0']);
      const event = await stack.app<{ error?: { code: string } }>('POST', '/runtime/webhooks/durabletask/instances/ov-ada/raiseEvent/Approval', {}, { approved: true });
      assert.notEqual(event.body.error?.code, 'VERSION_DECOMMISSIONED', JSON.stringify(event.body));
      assert.equal(event.headers['x-routed-version'], '1.1.0', 'the app of the lineage answers');
    });

    it('releases the patch 1.1.1 onto the same app; 1.1.2 with app-routing is a strategy conflict', async () => {
      const { final } = await stack.release({ version: '1.1.1', package: await stage('1.1.1'), strategy });
      assert.equal(final.state, 'succeeded', JSON.stringify(final));
      assert.deepEqual([final.kind, final.app], ['patch', appName]);
      assert.deepEqual((await stack.platformApps()).map((app) => app.name), [appName]);
      const order = await stack.app<Started>('POST', '/api/orders', {}, { orderId: 'ov-lin', customer: 'Lin', items: [{ sku: 'pad', quantity: 3, unitPrice: 10 }] });
      const done = await finished(order.body);
      assert.deepEqual([done.output?.['appVersion'], done.output?.['loyaltyPoints']], ['1.1.1', 3]);
      await waitUntil(async () => (await status(waitingOn11)).body.customStatus?.stage === 'awaitingApproval', 30_000, '1.1\'s order awaiting approval');
      assert.equal((await stack.app('POST', '/api/orders/ov-hopper/approval', {}, { approved: true, by: 'Lin' })).status, 202);
      const approved = await finished(waitingOn11);
      assert.deepEqual([approved.output?.['appVersion'], approved.output?.['loyaltyPoints']], ['1.1.1', 120], 'started on 1.1.0, it keeps 1.1\'s branch on 1.1.1\'s code');
      const listed = await stack.admin<{ instances: Listed[] }>('GET', '/admin/instances?version=1.1');
      assert.equal(listed.body.instances.find((instance) => instance.instanceId === 'ov-lin')?.version, '1.1.1');
      const conflict = await stack.admin<{ error: { code: string } }>('POST', '/admin/releases', { version: '1.1.2', package: await stage('1.1.2'), strategy: 'app-routing' });
      assert.deepEqual([conflict.status, conflict.body.error.code], [409, 'STRATEGY_CONFLICT']);
    });

    it('a failed release onto the lineage keeps the app, its code and its version; the lineage goes on', async () => {
      const broken = await stage('1.2.0');
      await writeFile(path.join(broken, 'dist', 'src', 'functions', 'version.js'), 'throw new Error("this package is broken on purpose");\n');
      const { final } = await stack.release({ version: '1.2.0', package: broken, strategy });
      assert.equal(final.state, 'failed', JSON.stringify(final));
      assert.match((final.cleanup ?? []).join(' '), /1\.2 was taken out of the version map .* app dr-local-v1-0 is kept/);
      assert.deepEqual((await stack.platformApps()).map((app) => app.name), [appName]);
      assert.equal(findEntry(await stack.map(), '1.2'), undefined);
      const served = await stack.app<{ version: string }>('GET', '/api/version');
      assert.deepEqual([served.status, served.body.version], [200, '1.1.1']);
      const { final: patched } = await stack.release({ version: '1.1.2', package: await stage('1.1.2'), strategy });
      assert.equal(patched.state, 'succeeded', `never raised, 1.2.0 does not hold the lineage's version up: ${JSON.stringify(patched)}`);
    });
  });
}
