/**
 * Replay correctness against the real durable-functions library: random orchestrator programs
 * (chains, Task.all, Task.any, timers, retries, caught failures) with their work answered in
 * random orders and batches must complete with the output the program implies; changing the
 * code under a running instance must fail it with a clear non-determinism error.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventType } from '../../../../deployer/host/durable/history/history-event.js';
import { drive } from './fixtures/in-memory-driver.js';
import { LibraryInvoker } from './fixtures/library-invoker.js';

const require = createRequire(import.meta.url);
const df = require('durable-functions') as typeof import('durable-functions');

type Step =
  | { readonly kind: 'activity'; readonly value: number }
  | { readonly kind: 'timer' }
  | { readonly kind: 'all'; readonly values: readonly number[] }
  | { readonly kind: 'any'; readonly values: readonly number[] }
  | { readonly kind: 'race'; readonly value: number }
  | { readonly kind: 'retry'; readonly value: number; readonly failures: number; readonly attempts: number }
  | { readonly kind: 'fail'; readonly value: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('activity' as const), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ kind: fc.constant('timer' as const) }),
  fc.record({ kind: fc.constant('all' as const), values: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant('any' as const), values: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('race' as const), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({
    kind: fc.constant('retry' as const), value: fc.integer({ min: 0, max: 99 }),
    failures: fc.integer({ min: 0, max: 3 }), attempts: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('fail' as const), value: fc.integer({ min: 0, max: 99 }) }),
);

function expected(program: readonly Step[]): unknown[] {
  return program.map((s) => {
    switch (s.kind) {
      case 'activity': return s.value * 2;
      case 'timer': return 'timer';
      case 'all': return s.values.map((v) => v * 2);
      case 'any': return 'any';
      case 'race': return 'race';
      case 'retry': return s.failures < s.attempts ? s.value * 2 : 'gave up';
      case 'fail': return 'caught';
    }
  });
}

const attempts = new Map<string, number>();
const invoker = new LibraryInvoker()
  .orchestration('program', function* (context) {
    const { run, steps } = context.df.getInput() as { run: string; steps: Step[] };
    const results: unknown[] = [];
    const later = (): Date => new Date(context.df.currentUtcDateTime.getTime() + 1000);
    for (const [index, s] of steps.entries()) {
      switch (s.kind) {
        case 'activity':
          results.push(yield context.df.callActivity('double', s.value));
          break;
        case 'timer':
          yield context.df.createTimer(later());
          results.push('timer');
          break;
        case 'all':
          results.push(yield context.df.Task.all(s.values.map((v) => context.df.callActivity('double', v))));
          break;
        case 'any': {
          const tasks = s.values.map((v) => context.df.callActivity('double', v));
          const winner = (yield context.df.Task.any(tasks)) as { result: unknown };
          results.push(s.values.map((v) => v * 2).includes(winner.result as number) ? 'any' : `bad winner ${String(winner.result)}`);
          break;
        }
        case 'race': {
          const timer = context.df.createTimer(later());
          const work = context.df.callActivity('double', s.value);
          const winner = yield context.df.Task.any([timer, work]);
          if (winner === work) timer.cancel();
          results.push('race');
          break;
        }
        case 'retry':
          try {
            results.push(yield context.df.callActivityWithRetry('flaky', new df.RetryOptions(1000, s.attempts), { key: `${run}-${index}`, failures: s.failures, value: s.value }));
          } catch {
            results.push('gave up');
          }
          break;
        case 'fail':
          try {
            yield context.df.callActivity('boom', s.value);
            results.push('not thrown');
          } catch (error) {
            results.push((error as Error).message.includes("Activity function 'boom' failed: boom") ? 'caught' : (error as Error).message);
          }
          break;
      }
    }
    return results;
  })
  .activity('double', (value: unknown) => (value as number) * 2)
  .activity('flaky', (input: unknown) => {
    const { key, failures, value } = input as { key: string; failures: number; value: number };
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    if (attempt <= failures) throw new Error(`flaky attempt ${attempt}`);
    return value * 2;
  })
  .activity('boom', () => {
    throw new Error('boom');
  });

let runs = 0;

describe('replay with the durable-functions library', () => {
  it('completes random programs with the output they imply, whatever order the work is answered in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.integer(), async (steps, seed) => {
        const run = `run-${runs++}`;
        const result = await drive({ invoker, orchestrator: 'program', input: { run, steps }, seed });
        assert.equal(result.completion?.status, 'Completed', JSON.stringify(result.completion));
        assert.deepEqual(JSON.parse((result.completion as { output: string }).output), expected(steps));
        const ids = result.history.filter((e) => e.EventId >= 0).map((e) => e.EventId);
        assert.equal(new Set(ids).size, ids.length, 'every sequence number is used once');
      }),
      { numRuns: 60 },
    );
  });

  it('fails an instance whose code changed under it, naming what the history and the code schedule', async () => {
    let version = 1;
    const evolving = new LibraryInvoker()
      .activity('reserve', () => 'reserved')
      .activity('charge', () => 'charged')
      .activity('ship', () => 'shipped');
    const register = (): void => {
      evolving.orchestration('order', function* (context) {
        yield context.df.callActivity('reserve');
        yield context.df.callActivity(version === 1 ? 'charge' : 'ship');
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1000));
        return 'done';
      });
    };
    register();
    const result = await drive({
      invoker: evolving, orchestrator: 'order', seed: 1,
      beforeEpisode: (episode) => {
        if (episode === 4) {
          version = 2;
          register();
        }
      },
    });
    assert.equal(result.completion?.status, 'Failed');
    const failure = result.completion as { reason: string };
    assert.match(failure.reason, /^Non-Deterministic workflow detected in orchestrator function 'order'/);
    assert.match(failure.reason, /activity "charge".*activity "ship"/);
    const last = result.history.at(-2);
    assert.equal(last?.EventType, EventType.ExecutionCompleted);
    assert.equal(last?.OrchestrationStatus, 'Failed');
  });
});
