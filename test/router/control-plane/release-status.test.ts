import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressOf, releaseSteps, type ReleaseInput } from '../../../router/control-plane/releases/release-progress.js';
import { describeRelease, type OrchestrationSnapshot } from '../../../router/control-plane/releases/release-status.js';

const input: ReleaseInput = {
  releaseId: 'release-1.2.0-abcdef12',
  version: '1.2.0',
  routeKey: '1.2',
  strategy: 'app-routing',
  promote: true,
  sha256: 'a'.repeat(64),
  settingNames: ['GREETING', 'SECRET'],
  requestedAt: '2026-01-01T00:00:00.000Z',
  health: { timeoutMs: 60_000, intervalMs: 500 },
};

function snapshot(overrides: Partial<OrchestrationSnapshot>): OrchestrationSnapshot {
  return {
    name: 'release',
    instanceId: input.releaseId,
    runtimeStatus: 'Running',
    input,
    customStatus: undefined,
    output: null,
    createdTime: new Date('2026-01-01T00:00:00Z'),
    lastUpdatedTime: '2026-01-01T00:00:02Z',
    ...overrides,
  };
}

describe('release status', () => {
  it('is pending before the orchestration has reported a step', () => {
    const view = describeRelease(snapshot({ runtimeStatus: 'Pending' }));
    assert.deepEqual(
      { id: view?.id, version: view?.version, strategy: view?.strategy, state: view?.state, step: view?.step, progress: view?.progress, updatedAt: view?.updatedAt },
      { id: input.releaseId, version: '1.2.0', strategy: 'app-routing', state: 'pending', step: 'queued', progress: 0, updatedAt: '2026-01-01T00:00:02.000Z' },
    );
  });

  it('shows the running step and progress from the custom status, and the names of the settings the release sets', () => {
    const view = describeRelease(snapshot({
      customStatus: { releaseId: input.releaseId, state: 'running', step: 'waiting-for-health', progress: 61, kind: 'breaking', app: 'dr-local-v1-2', detail: 'starting' },
    }));
    assert.equal(view?.state, 'running');
    assert.equal(view?.step, 'waiting-for-health');
    assert.equal(view?.progress, 61);
    assert.equal(view?.kind, 'breaking');
    assert.equal(view?.app, 'dr-local-v1-2');
    assert.deepEqual(view?.settingNames, ['GREETING', 'SECRET']);
    const earlier = describeRelease(snapshot({ input: { ...input, settingNames: undefined } }));
    assert.deepEqual(earlier?.settingNames, [], 'a release started before names were kept shows none');
  });

  it('reports the outcome once the orchestration completed, success or failure', () => {
    const succeeded = describeRelease(snapshot({ runtimeStatus: 'Completed', output: { state: 'succeeded', version: '1.2.0', routeKey: '1.2', kind: 'patch', app: 'dr-local-v1-2' } }));
    assert.equal(succeeded?.state, 'succeeded');
    assert.equal(succeeded?.progress, 100);
    assert.equal(succeeded?.kind, 'patch');
    assert.equal(succeeded?.error, undefined);
    const error = { code: 'PLATFORM_DEPLOY_FAILED' as const, message: 'did not start' };
    const failed = describeRelease(snapshot({ runtimeStatus: 'Completed', output: { state: 'failed', version: '1.2.0', routeKey: '1.2', failedStep: 'deploying', error, cleanup: ['The app was deleted.'] } }));
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.failedStep, 'deploying');
    assert.deepEqual(failed?.error, error);
    assert.deepEqual(failed?.cleanup, ['The app was deleted.']);
  });

  it('reports an orchestration that crashed or was terminated as failed where it stood', () => {
    const running = { releaseId: input.releaseId, state: 'running', step: 'deploying', progress: 40 };
    const crashed = describeRelease(snapshot({ runtimeStatus: 'Failed', customStatus: running, output: 'TypeError: boom' }));
    assert.equal(crashed?.state, 'failed');
    assert.equal(crashed?.failedStep, 'deploying');
    assert.match(crashed?.error?.message ?? '', /failed unexpectedly: TypeError: boom/);
    const terminated = describeRelease(snapshot({ runtimeStatus: 'Terminated', customStatus: running }));
    assert.match(terminated?.error?.message ?? '', /was terminated/);
  });

  it('is not a release when the instance is another orchestration', () => {
    assert.equal(describeRelease(snapshot({ name: 'drainMonitor' })), undefined);
  });

  it('never goes backwards from one step to the next', () => {
    const forward = releaseSteps.filter((step) => step !== 'rolling-back');
    for (let i = 1; i < forward.length; i++) assert.ok(progressOf(forward[i]!) >= progressOf(forward[i - 1]!), `${forward[i - 1]} → ${forward[i]}`);
    assert.equal(progressOf('waiting-for-health', 0), 55);
    assert.equal(progressOf('waiting-for-health', 0.5), 67);
    assert.equal(progressOf('waiting-for-health', 7), 80);
    assert.ok(progressOf('waiting-for-health', 1) < progressOf('recording'));
  });
});
