/**
 * Releases on the Azure platform, against a fake ARM whose sites really run: what Azure does to a
 * release on a bad day (throttling, 5xx, a failed deployment, a name taken, the quota, the control
 * plane killed while ARM is still creating the app) ends either in a release that succeeds with
 * exactly one site and one plan for its major.minor, or in a failed release that leaves nothing
 * behind. At start the control plane squares the version map with what Azure holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import type { FakeArm } from '../../fakes/azure-arm/fake-arm.js';
import { ReleaseStack, waitUntil, type ReleaseView } from './fixtures/release-stack.js';

describe('releases on the Azure platform (a fake ARM)', () => {
  let stack: ReleaseStack;
  let fake: FakeArm;

  const sitesNamed = (name: string) => fake.state.sites().filter((site) => site.name === name);
  const plansNamed = (name: string) => fake.state.plans().filter((plan) => plan.name === name);
  const callsOf = (operationId: string, from = 0) => fake.calls.slice(from).filter((call) => call.operationId === operationId);

  async function release(version: string, variant: 'good' | 'broken' = 'good'): Promise<ReleaseView> {
    const { final } = await stack.release({ version, package: await stack.stage(version, variant) });
    return final;
  }

  before(async () => {
    // Drained versions stay (a long grace) so that the quota has something to name.
    stack = await ReleaseStack.start({ platform: 'azure', drainPollMs: 300, decommissionGraceMs: 600_000, appQuota: 4 });
    fake = stack.fakeArm as FakeArm;
    const first = await release('1.0.0');
    assert.equal(first.state, 'succeeded', JSON.stringify(first));
  });

  after(async () => {
    await stack?.stop();
  });

  it('finishes a release whose control plane was killed while ARM created the site: one site, one plan', async () => {
    fake.faults.delay('WebApps_CreateOrUpdate', 4_000);
    const from = fake.calls.length;
    const started = await stack.admin<{ id: string }>('POST', '/admin/releases', { version: '1.1.0', package: await stack.stage('1.1.0') });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await waitUntil(() => callsOf('WebApps_CreateOrUpdate', from).length > 0, 20_000, 'the control plane asking ARM for the site');
    await stack.killControlPlane();
    fake.faults.delay('WebApps_CreateOrUpdate', 0);
    await stack.restartControlPlane();
    const { final } = await stack.waitForRelease(started.body.id, 90_000);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.equal(sitesNamed('dr-local-v1-1').length, 1);
    assert.equal(plansNamed('dr-local-v1-1').length, 1);
    assert.equal(fake.state.plans().length, fake.state.sites().length, 'Flex: a plan per site, none left over');
    assert.equal((await stack.app<{ version: string }>('GET', '/api/version')).body.version, '1.1.0');
  });

  it('rides out throttling and 5xx answers: the release succeeds, the retries are in ARM\'s log', async () => {
    const from = fake.calls.length;
    fake.faults.fail('WebApps_CreateOrUpdate', { status: 429, code: 'TooManyRequests', message: 'Throttled by the fake.', times: 2, retryAfterSeconds: 1 });
    fake.faults.fail('WebApps_UpdateApplicationSettings', { status: 503, code: 'ServiceUnavailable', message: 'Try again.', times: 1 });
    const final = await release('2.0.0');
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.deepEqual(callsOf('WebApps_CreateOrUpdate', from).map((call) => call.status), [429, 429, 202]);
    assert.deepEqual(callsOf('WebApps_UpdateApplicationSettings', from).map((call) => call.status), [503, 200]);
    assert.equal(sitesNamed('dr-local-v2-0').length, 1);
  });

  it('fails a release whose OneDeploy fails, with the service\'s message, and leaves no site, plan or package behind', async () => {
    fake.faults.failNextDeployment('dr-local-v3-0', 'The zip could not be extracted: unexpected end of archive.');
    const final = await release('3.0.0');
    assert.equal(final.state, 'failed', JSON.stringify(final));
    assert.equal(final.error?.code, 'PLATFORM_DEPLOY_FAILED');
    assert.match(final.error?.message ?? '', /unexpected end of archive/);
    assert.ok(final.cleanup?.some((line) => /dr-local-v3-0 was deleted/.test(line)), JSON.stringify(final.cleanup));
    assert.deepEqual(sitesNamed('dr-local-v3-0'), []);
    assert.deepEqual(plansNamed('dr-local-v3-0'), []);
    const blobs = [];
    const container = BlobServiceClient.fromConnectionString(stack.packageStorage as string).getContainerClient('durable-router-packages');
    for await (const blob of container.listBlobsFlat({ prefix: 'dr-local-v3-0/' })) blobs.push(blob.name);
    assert.deepEqual(blobs, [], 'its package went with it');
    const kept = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'dr-local-v2-0/' })) kept.push(blob.name);
    assert.equal(kept.length, 1, 'a serving app\'s package stays');
    assert.equal(findEntry(await stack.map(), '3.0')?.state, 'failed');
  });

  it('fails a release whose app name is taken elsewhere in Azure before creating anything', async () => {
    fake.faults.reserveSiteName('dr-local-v4-0');
    const from = fake.calls.length;
    const final = await release('4.0.0');
    assert.equal(final.state, 'failed', JSON.stringify(final));
    assert.equal(final.error?.code, 'PLATFORM_APP_NAME_TAKEN');
    assert.deepEqual(callsOf('AppServicePlans_CreateOrUpdate', from), [], 'no plan was created for it');
    assert.deepEqual(plansNamed('dr-local-v4-0'), []);
  });

  it('refuses a breaking release beyond the app quota, naming the drained versions to decommission', async () => {
    assert.equal((await release('5.0.0')).state, 'succeeded');
    await waitUntil(async () => findEntry(await stack.map(), '1.0')?.state === 'drained', 20_000, '1.0 draining to drained');
    const apps = fake.state.sites().length;
    const refused = await release('6.0.0');
    assert.equal(refused.state, 'failed', JSON.stringify(refused));
    assert.equal(refused.error?.code, 'APP_QUOTA_REACHED');
    assert.match(refused.error?.message ?? '', /quota \(ROUTER_APP_QUOTA\) is 4/);
    assert.match(refused.error?.message ?? '', /Decommission the drained versions? [^.]*1\.0/);
    assert.equal(fake.state.sites().length, apps, 'nothing was created');

    const decommissioned = await stack.admin('DELETE', '/admin/versions/1.0');
    assert.ok(decommissioned.status === 200 || decommissioned.status === 202, JSON.stringify(decommissioned.body));
    await waitUntil(() => sitesNamed('dr-local-v1-0').length === 0, 20_000, 'the 1.0 app deleted');
    assert.equal((await release('6.0.0')).state, 'succeeded');
  });

  it('squares the map with Azure at start: deletes an app no version names, reports one the map names that Azure lacks', async () => {
    const platform = stack.platform();
    await platform.provision({ appName: 'dr-local-v9-0', routeKey: '9.0', version: '9.0.0' });
    await platform.delete('dr-local-v2-0');
    assert.equal(sitesNamed('dr-local-v9-0').length, 1);
    const logged = stack.controlPlaneLog.length;
    await stack.killControlPlane();
    await stack.restartControlPlane();
    await waitUntil(() => sitesNamed('dr-local-v9-0').length === 0, 30_000, 'the app no version names deleted');
    assert.deepEqual(plansNamed('dr-local-v9-0'), []);
    await waitUntil(() => stack.controlPlaneLog.slice(logged).some((line) => /"routeKey":"2\.0"/.test(line) && /does not have/.test(line)), 10_000,
      'the missing 2.0 app reported');
    assert.equal((await stack.app<{ version: string }>('GET', '/api/version')).body.version, '6.0.0', 'the current version still serves');
  });
});
