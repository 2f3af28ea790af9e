import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  describeStep, progressBar, releaseFailureDetails, ReleaseProgressPrinter, releaseSucceeded, stepLine,
} from '../../../router/cli/output/release-progress.js';
import type { ReleaseView } from '../../../router/cli/release/release-follower.js';

const view = (step: string, progress: number, state: ReleaseView['state'] = 'running'): ReleaseView => ({ id: 'release-1.1.0-x', version: '1.1.0', routeKey: '1.1', state, step, progress });

describe('progressBar', () => {
  it('fills in proportion to the progress, at a fixed width, whatever the progress says', () => {
    assert.equal(progressBar(view('deploying', 40), 10), '[████░░░░░░]  40%  deploying');
    assert.equal(progressBar(view('done', 100), 10), '[██████████] 100%  done');
    fc.assert(fc.property(fc.double({ min: -50, max: 150, noNaN: true }), fc.integer({ min: 1, max: 60 }), (progress, width) => {
      const bar = progressBar(view('x', progress), width);
      const cells = /^\[([█░]+)\]/.exec(bar)?.[1] ?? '';
      assert.equal(cells.length, width);
      const filled = [...cells].filter((cell) => cell === '█').length;
      assert.equal(filled, Math.round((Math.min(100, Math.max(0, Math.round(progress))) / 100) * width));
    }));
  });
});

describe('stepLine and describeStep', () => {
  it('says what a step does, with the time since the command started', () => {
    assert.equal(stepLine(view('waiting-for-health', 55), 1234), '   1.2 s   55%  waiting-for-health: waiting until the app answers with its functions registered');
    assert.equal(stepLine(view('done', 100), 2000), '   2.0 s  100%  done');
    assert.equal(describeStep('a-step-from-a-newer-router'), 'a-step-from-a-newer-router');
  });
});

describe('ReleaseProgressPrinter', () => {
  const capture = (): { text: string; write(chunk: string): void } => ({ text: '', write(chunk: string) { this.text += chunk; } });

  it('off a terminal, writes one line per step, and nothing for a failed release', () => {
    const out = capture();
    const printer = new ReleaseProgressPrinter(out, false);
    for (const [step, progress] of [['validating', 5], ['validating', 5], ['deploying', 40], ['waiting-for-health', 60], ['waiting-for-health', 70], ['done', 100]] as const) {
      printer.update(view(step, progress), 100);
    }
    printer.update(view('done', 100, 'failed'), 100);
    printer.finish();
    assert.deepEqual(out.text.split('\n').filter((line) => line !== '').map((line) => line.trim().split(/\s+/)[3]?.replace(':', '')), ['validating', 'deploying', 'waiting-for-health', 'done']);
  });

  it('on a terminal, redraws one line in place and ends it when done', () => {
    const out = capture();
    const printer = new ReleaseProgressPrinter(out, true);
    printer.update(view('validating', 5), 0);
    printer.update(view('deploying', 40), 500);
    printer.finish();
    assert.equal(out.text, `\r\x1b[2K${progressBar(view('validating', 5))}  0.0 s\r\x1b[2K${progressBar(view('deploying', 40))}  0.5 s\n`);
  });
});

describe('release summaries', () => {
  it('name the app and what is current after a success', () => {
    const done = { ...view('done', 100, 'succeeded'), kind: 'breaking' as const, app: 'dr-local-v1-1' };
    const versions = [{ routeKey: '0.9', state: 'drained' }, { routeKey: '1.0', state: 'draining' }, { routeKey: '1.1', state: 'active' }, { routeKey: '0.8', state: 'decommissioned' }];
    assert.deepEqual(releaseSucceeded(done, 2345, { current: '1.1', versions }), [
      'released 1.1.0 in 2.3 s: a new app dr-local-v1-1 for 1.1',
      'current version: 1.1; draining: 1.0; drained: 0.9',
    ]);
    assert.deepEqual(releaseSucceeded({ ...done, version: '1.1.1', kind: 'patch' }, 900, undefined), ['released 1.1.1 in 0.9 s: a patch, deployed onto the 1.1 app (dr-local-v1-1)']);
  });

  it('say where a release failed and what was undone', () => {
    const failed = { ...view('done', 100, 'failed'), failedStep: 'deploying', cleanup: ['the app dr-local-v1-1 was deleted'] };
    assert.deepEqual(releaseFailureDetails(failed), ['  release release-1.1.0-x of 1.1.0 failed while deploying', '  cleanup: the app dr-local-v1-1 was deleted']);
  });
});
