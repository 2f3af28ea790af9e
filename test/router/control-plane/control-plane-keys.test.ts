/**
 * The control plane's host enforces its keys: its durable HTTP API (which could start
 * makeCurrentOperation and switch the current version) and its `/admin/*` refuse callers without
 * them, while its own HTTP API stays reachable for the front door and checks the control plane's
 * key itself, and its durable client keeps working.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostSecrets } from '../../../deployer/host/keys/host-secrets.js';
import { startControlPlane, type RunningControlPlane } from '../../../router/control-plane/control-plane-process.js';
import { orchestrationNames } from '../../../router/control-plane/function-names.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `control-plane-keys-${randomUUID()}`);
const apiKey = 'control-plane-keys-test-api-key';

async function answer(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> | unknown[] }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function assertUnauthorized(result: { status: number; body: unknown }, needs: RegExp): void {
  assert.equal(result.status, 401, JSON.stringify(result.body));
  const { error } = result.body as { error: { code: string; message: string } };
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.match(error.message, needs);
}

describe('the control plane\'s keys', () => {
  let controlPlane: RunningControlPlane;
  let keys: HostSecrets;

  before(async () => {
    controlPlane = await startControlPlane({
      storage: azurite.connectionString,
      dataDir: path.join(workDir, 'control-plane'),
      platformRoot: path.join(workDir, 'platform'),
      key: apiKey,
      secretsKey: 'control-plane-keys-test-secrets-key-0123',
      startTimeoutMs: 30_000,
    });
    keys = await controlPlane.hostSecrets();
  });
  after(async () => {
    await controlPlane?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses to start makeCurrentOperation through its durable API without its host\'s key', async () => {
    const start = `${controlPlane.url}/runtime/webhooks/durabletask/orchestrators/${orchestrationNames.makeCurrent}`;
    const body = JSON.stringify({ routeKey: '1.0' });
    const json = { 'content-type': 'application/json' };
    assertUnauthorized(await answer(start, { method: 'POST', headers: json, body }), /"durabletask_extension" system key/);
    assertUnauthorized(await answer(start, { method: 'POST', headers: { ...json, authorization: `Bearer ${apiKey}` }, body }), /system key/);
    assertUnauthorized(await answer(start, { method: 'POST', headers: { ...json, 'x-functions-key': apiKey }, body }), /system key/);
    assertUnauthorized(await answer(`${start}?code=${keys.functionKeys['default']}`, { method: 'POST', headers: json, body }), /system key/);

    const instances = await answer(`${controlPlane.url}/runtime/webhooks/durabletask/instances`, { headers: { 'x-functions-key': keys.systemKeys['durabletask_extension'] as string } });
    assert.equal(instances.status, 200);
    const names = (instances.body as { name: string }[]).map((instance) => instance.name);
    assert.ok(!names.includes(orchestrationNames.makeCurrent), `a refused call started an instance: ${names.join(', ')}`);
  });

  it('guards its host\'s /admin/* with the master key', async () => {
    assertUnauthorized(await answer(`${controlPlane.url}/admin/functions`), /master key/);
    assertUnauthorized(await answer(`${controlPlane.url}/admin/functions`, { headers: { authorization: `Bearer ${apiKey}` } }), /master key/);
    const listed = await answer(`${controlPlane.url}/admin/functions`, { headers: { 'x-functions-key': keys.masterKey } });
    assert.equal(listed.status, 200);
    assert.ok((listed.body as { name: string }[]).some((fn) => fn.name === orchestrationNames.makeCurrent));
  });

  it('keeps its own API open to the front door, checking the control plane\'s key itself; its durable client works', async () => {
    const unkeyed = await answer(`${controlPlane.url}/api/releases/no-such-release`);
    assert.equal(unkeyed.status, 401, 'the API\'s own key check answers');
    const keyed = await answer(`${controlPlane.url}/api/releases/no-such-release`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(keyed.status, 404, JSON.stringify(keyed.body));
    assert.equal((keyed.body as { error: { code: string } }).error.code, 'RELEASE_NOT_FOUND', 'the release was looked up through the durable client');
  });
});
