import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { descendantsOf } from '../../fixtures/process-tree.js';
import { processExists } from '../../fixtures/process-exists.js';
import { startStack, type StartedStack } from './fixtures/started-stack.js';

/*
 * `durable-router start` stops the same graceful way whichever signal reaches it: the request in
 * flight to an app is answered, then the apps and storage stop, and the CLI exits 0. Killed with
 * SIGKILL, it takes every process it started with it.
 */
const workDir = path.join(repositoryRoot, '.data', 'test', `graceful-stop-${randomUUID()}`);
const stacks: StartedStack[] = [];
after(async () => {
  for (const stack of stacks) {
    if (stack.child.exitCode === null && stack.child.signalCode === null) stack.child.kill('SIGKILL');
    await stack.exited;
  }
  await rm(workDir, { recursive: true, force: true });
});

async function startedStack(name: string): Promise<StartedStack> {
  const dataDir = path.join(workDir, name);
  await mkdir(dataDir, { recursive: true });
  const backends = path.join(dataDir, 'backends.json');
  await writeFile(backends, JSON.stringify({ backends: [{ version: '1.0.0', appDir: fixtureApp('release-app') }] }));
  const stack = await startStack(['--backends', backends, '--data-dir', path.join(dataDir, '.data')], {});
  stacks.push(stack);
  return stack;
}

/** A slow request through the front door, once the app has it (it answers after `ms`). */
async function requestInFlight(stack: StartedStack, ms: number): Promise<{ answer: Promise<{ status: number; body: unknown }> }> {
  const answer = request(`${stack.url}/api/slow?ms=${ms}`).then(async (response) => ({ status: response.statusCode, body: await response.body.json() }));
  const deadline = performance.now() + 30_000;
  for (;;) {
    const inflight = (await (await request(`${stack.url}/api/inflight`)).body.json()) as { slow: number };
    // Wrapped: an async function returning the promise itself would wait for the answer.
    if (inflight.slow > 0) return { answer };
    assert.ok(performance.now() < deadline, 'the slow request never reached the app');
    await sleep(20);
  }
}

async function allGone(pids: readonly number[]): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (pids.some(processExists)) {
    assert.ok(performance.now() < deadline, `still running: ${pids.filter(processExists).join(', ')}`);
    await sleep(50);
  }
}

describe('durable-router start stops gracefully', () => {
  for (const { name, send } of [
    { name: 'Ctrl+C in a terminal (SIGINT to the whole process group)', send: (stack: StartedStack) => process.kill(-stack.child.pid!, 'SIGINT') },
    { name: 'SIGHUP to the CLI alone (the terminal closed)', send: (stack: StartedStack) => process.kill(stack.child.pid!, 'SIGHUP') },
  ]) {
    it(`answers the request in flight, stops everything and exits 0 on ${name}`, async () => {
      const stack = await startedStack(randomUUID());
      const children = await descendantsOf(stack.child.pid!);
      assert.ok(children.length >= 3, `Azurite, the control plane and the app run under the CLI: ${children.join(', ')}`);
      // Longer than an app host's own grace for requests in flight when it is stopped (5 s).
      const { answer } = await requestInFlight(stack, 8_000);
      send(stack);
      const { status, body } = await answer;
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual({ ...(body as Record<string, unknown>), pid: 0 }, { version: '1.0.0', pid: 0, sleptMs: 8_000 });
      assert.deepEqual(await stack.exited, { code: 0, signal: null }, stack.stderr());
      await allGone(children);
    });
  }

  it('stops gracefully on a SIGTERM sent the moment its banner is out (a script that waits for it)', async () => {
    const stack = await startedStack(randomUUID());
    stack.child.kill('SIGTERM');
    assert.deepEqual(await stack.exited, { code: 0, signal: null }, stack.stderr());
  });

  it('takes every process it started with it when it is killed (SIGKILL)', async () => {
    const stack = await startedStack(randomUUID());
    const children = await descendantsOf(stack.child.pid!);
    assert.ok(children.length >= 3, `Azurite, the control plane and the app run under the CLI: ${children.join(', ')}`);
    process.kill(stack.child.pid!, 'SIGKILL');
    await stack.exited;
    await allGone(children);
  });
});
