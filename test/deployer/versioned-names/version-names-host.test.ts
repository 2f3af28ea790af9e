import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { versionFunctionNames } from '../../../deployer/versioned-names/version-names.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus, type HostProcess } from '../host/e2e/host-process.js';
import { makeWorkDir, repositoryRoot, stageApp } from './migration-fixtures.js';
import { rm } from 'node:fs/promises';

const execFileAsync = promisify(execFile);
const azurite = await startAzuriteForTests();

interface InstanceStatus {
  readonly name: string;
  readonly runtimeStatus: string;
  readonly customStatus: unknown;
  readonly output: unknown;
}

let work: string;
const running = new Set<HostProcess>();
before(async () => {
  work = await makeWorkDir('version-names-host');
});
after(async () => {
  for (const host of running) if (host.child.exitCode === null) await host.stop();
  await rm(work, { recursive: true, force: true });
});

/** One task hub for every app of a test: the migrated app takes over the previous app's instances. */
async function startApp(appDir: string, taskHub: string, env: Record<string, string> = {}): Promise<{ url: string; host: HostProcess }> {
  const host = await startHostProcess({
    appDir,
    env: { ...baseEnvironment(), AzureWebJobsStorage: azurite.connectionString, TASKHUB_NAME: taskHub, LOG_LEVEL: 'warn', ...env },
  });
  running.add(host);
  return { url: host.listening.url, host };
}

async function stopApp(host: HostProcess): Promise<void> {
  assert.equal(await host.stop(), 0, host.stderr());
  running.delete(host);
}

async function status(url: string, id: string): Promise<InstanceStatus> {
  const response = await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}`);
  assert.ok(response.status === 200 || response.status === 202, `${id}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as InstanceStatus;
}

async function start(url: string, route: string): Promise<string> {
  const response = await fetch(`${url}/api/${route}`, { method: 'POST' });
  assert.equal(response.status, 202, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

async function waitUntilWaiting(url: string, id: string): Promise<InstanceStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const current = await status(url, id);
    if (current.customStatus === 'waiting') return current;
    assert.ok(Date.now() < deadline, `${id} never waited for its event: ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function raise(url: string, id: string, event: string, body: unknown): Promise<InstanceStatus> {
  const response = await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/${event}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(response.status, 202, await response.text());
  return (await waitForTerminalStatus(`${url}/runtime/webhooks/durabletask/instances/${id}`)) as unknown as InstanceStatus;
}

describe('a migrated CommonJS app in the local host (orders-cjs 1.2 → 1.3 → 10.12)', () => {
  const hub = `VersionedNames${randomUUID().slice(0, 8)}`;

  it('completes each in-flight instance on the code that started it, and starts new ones on the newest code', async () => {
    // 1.2 runs as it always did, plain names: Ada's order waits for its approval.
    const previous = await stageApp('orders-cjs/1.2', path.join(work, 'orders-1.2'));
    const v12 = await startApp(previous, hub);
    assert.equal(await start(v12.url, 'orders/ada'), 'ada');
    assert.equal((await waitUntilWaiting(v12.url, 'ada')).name, 'ProcessOrder');
    await stopApp(v12.host);

    // 1.3 replaces it: one app, 1.2's durable functions under their names beside 1.3's.
    const v13Dir = path.join(work, 'orders-1.3');
    await versionFunctionNames({ appDir: await stageApp('orders-cjs/1.3', path.join(work, 'orders-1.3-src')), previous, to: '1.3', out: v13Dir });
    const v13 = await startApp(v13Dir, hub);
    assert.deepEqual(v13.host.listening.functions.map((f) => f.name).sort(), [
      'Describe', 'Describe_v1_3', 'OrdersSeen_v1_3', 'ProcessOrder', 'ProcessOrder_v1_3', 'SeenCount', 'StartOrder', 'Whoami', 'WrapGift_v1_3', 'Wrap_v1_3',
    ]);
    assert.deepEqual(await (await fetch(`${v13.url}/api/whoami`)).json(), { version: '1.3.0' });
    assert.equal(await start(v13.url, 'orders/grace'), 'grace');
    assert.equal((await waitUntilWaiting(v13.url, 'grace')).name, 'ProcessOrder_v1_3');
    const ada = await raise(v13.url, 'ada', 'Approval', { by: 'Lin' });
    assert.equal(ada.runtimeStatus, 'Completed', JSON.stringify(ada));
    assert.deepEqual(ada.output, { line: '1.2.0 described ada for Lin', steps: ['Describe'] });
    await stopApp(v13.host);

    // 10.12 replaces that, 1.2 dropped (drained): Grace's 1.3 order completes on 1.3's code.
    const v1012Dir = path.join(work, 'orders-10.12');
    const v1012Source = await stageApp('orders-cjs/1.3', path.join(work, 'orders-10.12-src'), '10.12.0');
    await versionFunctionNames({ appDir: v1012Source, previous: v13Dir, to: '10.12.0', out: v1012Dir, drop: ['1.2'] });
    const v1012 = await startApp(v1012Dir, hub);
    assert.ok(!v1012.host.listening.functions.some((f) => f.name === 'ProcessOrder'), '1.2 was dropped');
    const grace = await raise(v1012.url, 'grace', 'Approval', { by: 'Lin' });
    assert.equal(grace.runtimeStatus, 'Completed', JSON.stringify(grace));
    assert.deepEqual(grace.output, { line: '1.3.0 described grace (gift-wrapped) for Lin', steps: ['WrapGift', 'Describe_v1_3'] });
    assert.equal(grace.name, 'ProcessOrder_v1_3');

    assert.equal(await start(v1012.url, 'orders/hopper'), 'hopper');
    assert.equal((await waitUntilWaiting(v1012.url, 'hopper')).name, 'ProcessOrder_v10_12');
    const hopper = await raise(v1012.url, 'hopper', 'Approval', { by: 'Kay' });
    assert.deepEqual(hopper.output, { line: '10.12.0 described hopper (gift-wrapped) for Kay', steps: ['WrapGift', 'Describe_v10_12'] });
    await stopApp(v1012.host);

    // The setting alone points new starts elsewhere (a rollback of new work to 1.3 without a code change).
    const rolledBack = await startApp(v1012Dir, hub, { DURABLE_ROUTER_ORCHESTRATOR_ProcessOrder: 'ProcessOrder_v1_3' });
    assert.equal(await start(rolledBack.url, 'orders/turing'), 'turing');
    assert.equal((await waitUntilWaiting(rolledBack.url, 'turing')).name, 'ProcessOrder_v1_3');
    await stopApp(rolledBack.host);
  });
});

describe('a migrated TypeScript app in the local host (checkout-ts 3.0 → 3.1)', () => {
  const hub = `VersionedNamesTs${randomUUID().slice(0, 8)}`;
  const tsc = path.join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');

  it('completes the instance 3.0 started on 3.0\'s code once the app built from the rewritten sources replaces it', async () => {
    const previous = await stageApp('checkout-ts', path.join(work, 'checkout-3.0'));
    await execFileAsync(process.execPath, [tsc, '-p', previous]);
    const v30 = await startApp(previous, hub);
    assert.equal(await start(v30.url, 'checkout/cart-a'), 'cart-a');
    assert.equal((await waitUntilWaiting(v30.url, 'cart-a')).name, 'Checkout');
    await stopApp(v30.host);

    const out = path.join(work, 'checkout-3.1');
    const result = await versionFunctionNames({ appDir: await stageApp('checkout-ts', path.join(work, 'checkout-3.1-src'), '3.1.0'), previous, to: '3.1', out });
    assert.equal(result.needsBuild, true);
    await execFileAsync(process.execPath, [tsc, '-p', out]); // the app's own build (npm run build runs tsc)
    const v31 = await startApp(out, hub);
    const cartA = await raise(v31.url, 'cart-a', 'Confirm', true);
    assert.equal(cartA.runtimeStatus, 'Completed', JSON.stringify(cartA));
    assert.equal(cartA.output, '3.0.0: charged cart-a, notified');

    assert.equal(await start(v31.url, 'checkout/cart-b'), 'cart-b');
    assert.equal((await waitUntilWaiting(v31.url, 'cart-b')).name, 'Checkout_v3_1');
    const cartB = await raise(v31.url, 'cart-b', 'Confirm', true);
    assert.equal(cartB.output, '3.1.0: charged cart-b, notified');
    await stopApp(v31.host);
  });
});
