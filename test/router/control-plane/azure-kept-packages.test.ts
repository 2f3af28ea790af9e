/**
 * On Azure the control plane runs on several instances, each with its own disk: a release's
 * package, taken in by one, must deploy from another that never saw it (or from the same one
 * after it was recycled). Played here by deleting the control plane's kept packages while the
 * release waits on ARM.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FakeArm } from '../../fakes/azure-arm/fake-arm.js';
import { ReleaseStack, waitUntil } from './fixtures/release-stack.js';

describe('a release on Azure whose package is not on the instance that deploys it', () => {
  let stack: ReleaseStack;
  let fake: FakeArm;

  before(async () => {
    stack = await ReleaseStack.start({ platform: 'azure' });
    fake = stack.fakeArm as FakeArm;
  });

  after(async () => {
    await stack?.stop();
  });

  it('fetches the package from the package storage and deploys it', async () => {
    const keptPackages = path.join(stack.workDir, 'control-plane', 'packages');
    fake.faults.delay('WebApps_CreateOrUpdate', 3_000);
    const from = fake.calls.length;
    const started = await stack.admin<{ id: string }>('POST', '/admin/releases', { version: '1.0.0', package: await stack.stage('1.0.0') });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await readdir(keptPackages)).length, 1, 'the accepted release\'s package is kept on this instance');
    await waitUntil(() => fake.calls.slice(from).some((call) => call.operationId === 'WebApps_CreateOrUpdate'), 20_000, 'the control plane asking ARM for the site');
    await rm(keptPackages, { recursive: true, force: true });
    fake.faults.delay('WebApps_CreateOrUpdate', 0);

    const { final } = await stack.waitForRelease(started.body.id, 60_000);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.ok(stack.controlPlaneLog.some((line) => /fetched a kept package another instance stored/.test(line)), 'the package came from the package storage');
    assert.deepEqual((await readdir(keptPackages)).filter((name) => /^[0-9a-f]{64}$/.test(name)).length, 1, 'and is kept here again');
    assert.equal((await stack.app<{ version: string }>('GET', '/api/version')).body.version, '1.0.0');
  });
});
