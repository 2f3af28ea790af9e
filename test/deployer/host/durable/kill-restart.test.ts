/**
 * Durability across a crash: the local host runs a real app as a child process against Azurite,
 * is killed with SIGKILL while orchestrations wait on timers and activities, and is started
 * again; every orchestration must then complete with the right output, and no activity whose
 * result was checkpointed before the kill may run again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../e2e/host-process.js';
import { repositoryRoot } from '../fixture-apps.js';
import { readStatus, startOrchestration, waitForStatus } from './fixtures/engine-harness.js';

const azurite = await startAzuriteForTests();
const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const instanceCount = 6;
const steps = (id: string): string[] => ['a', 'b', 'fan-1', 'fan-2', 'fan-3', 'c'].map((step) => `${id}/${step}`);

describe('a host killed with SIGKILL mid-orchestration', () => {
  let host: HostProcess | undefined;
  let workDir: string | undefined;
  after(async () => {
    if (host && host.child.exitCode === null && host.child.signalCode === null) await host.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('resumes every orchestration, timer and activity after a restart without losing completed results', async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'durable-restart-'));
    const activityLog = path.join(workDir, 'activities.log');
    const env = {
      ...baseEnvironment(),
      AzureWebJobsStorage: azurite.connectionString,
      DURABLE_FIXTURE_HUB: 'RestartHub',
      ACTIVITY_LOG: activityLog,
      STEP_DELAY_MS: '600',
      LOG_LEVEL: 'warn',
    };
    host = await startHostProcess({ appDir, env });
    const url = host.listening.url;
    const ids = Array.from({ length: instanceCount }, (_, i) => `flow-${i}`);
    const early = ids.slice(0, instanceCount / 2);
    const late = ids.slice(instanceCount / 2);

    // The early half gets past its timer into activities; the late half then reaches its timer.
    for (const id of early) await startOrchestration(url, 'resilientFlow', undefined, id);
    await waitUntil(() => someAsync(early, async (id) => (await progress(url, id)).pendingActivity && (await progress(url, id)).timerFired));
    for (const id of late) await startOrchestration(url, 'resilientFlow', undefined, id);
    await waitUntil(() => someAsync(late, async (id) => (await progress(url, id)).pendingTimer));

    const snapshots = await Promise.all(ids.map((id) => progress(url, id)));
    assert.ok(snapshots.some((p) => p.pendingActivity), 'an activity is in flight when the host is killed');
    assert.ok(snapshots.some((p) => p.pendingTimer), 'a timer is pending when the host is killed');
    const checkpointed = new Set(snapshots.flatMap((p) => p.completed));
    await host.kill();
    host = await startHostProcess({ appDir, env });
    for (const id of ids) {
      const status = await waitForStatus(host.listening.url, id, undefined, 60_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.deepEqual(status.output, steps(id).map((step) => `${step} done`));
    }

    const executions = new Map<string, number>();
    for (const line of (await readFile(activityLog, 'utf8')).split('\n').filter((l) => l !== '')) {
      executions.set(line, (executions.get(line) ?? 0) + 1);
    }
    for (const id of ids) {
      for (const step of steps(id)) assert.ok((executions.get(step) ?? 0) >= 1, `${step} never ran`);
    }
    assert.ok(checkpointed.size >= instanceCount, `only ${checkpointed.size} results were checkpointed before the kill`);
    for (const step of checkpointed) assert.equal(executions.get(step), 1, `${step} was checkpointed before the kill but ran again`);
  });
});

interface Progress {
  readonly completed: readonly string[];
  readonly pendingActivity: boolean;
  readonly pendingTimer: boolean;
  readonly timerFired: boolean;
}

/** What an instance's history shows: checkpointed step results, and scheduled work still unanswered. */
async function progress(url: string, id: string): Promise<Progress> {
  const { body } = await readStatus(url, id, '?showHistory=true&showHistoryOutput=true');
  const events = body?.historyEvents ?? [];
  const count = (type: string): number => events.filter((event) => event['EventType'] === type).length;
  return {
    completed: events.filter((event) => event['EventType'] === 'TaskCompleted').map((event) => String(event['Result']).replace(/ done$/, '')),
    // The status API folds a TaskScheduled into its result: one left on its own is still running.
    pendingActivity: count('TaskScheduled') > 0,
    pendingTimer: count('TimerCreated') > count('TimerFired'),
    timerFired: count('TimerFired') > 0,
  };
}

async function someAsync(ids: readonly string[], test: (id: string) => Promise<boolean>): Promise<boolean> {
  for (const id of ids) if (await test(id)) return true;
  return false;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, 'the orchestrations did not reach the expected point in time');
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}
