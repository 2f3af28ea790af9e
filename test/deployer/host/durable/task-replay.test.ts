/** Replay of action lists against hand-written histories: sequence numbers, retries, polling, non-determinism. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryEvent } from '../../../../deployer/host/durable/history/history-event.js';
import type { OrchestratorAction, RetryPolicy } from '../../../../deployer/host/durable/orchestration/orchestrator-turn.js';
import { replayActions, type Decision } from '../../../../deployer/host/durable/orchestration/task-replay.js';
import { at, events as e } from './fixtures/history-builder.js';

const activity = (name: string, input?: unknown, retry?: RetryPolicy): OrchestratorAction => ({ kind: 'callActivity', name, input, ...(retry ? { retry } : {}) });
const timer = (seconds: number): OrchestratorAction => ({ kind: 'createTimer', fireAt: new Date(at(seconds)) });
const all = (...children: OrchestratorAction[]): OrchestratorAction => ({ kind: 'whenAll', children });
const any = (...children: OrchestratorAction[]): OrchestratorAction => ({ kind: 'whenAny', children });
const retry = (first: number, attempts: number, extra: Partial<RetryPolicy> = {}): RetryPolicy => ({
  firstRetryIntervalMs: first, maxNumberOfAttempts: attempts, backoffCoefficient: 1,
  maxRetryIntervalMs: Number.POSITIVE_INFINITY, ...extra,
});

function decide(history: HistoryEvent[], actions: OrchestratorAction[]): readonly Decision[] {
  const result = replayActions({ instanceId: 'instance-1', executionId: 'exec-1', history, actions, defaultHttpPollIntervalMs: 30_000 });
  if (!result.ok) assert.fail(result.nonDeterminism);
  return result.decisions;
}

function nonDeterminism(history: HistoryEvent[], actions: OrchestratorAction[]): string {
  const result = replayActions({ instanceId: 'instance-1', executionId: 'exec-1', history, actions, defaultHttpPollIntervalMs: 30_000 });
  assert.equal(result.ok, false, 'expected the replay to detect non-determinism');
  return result.ok ? '' : result.nonDeterminism;
}

const start = [e.started(0), e.execution('orchestrator')];

describe('replaying actions against history', () => {
  it('schedules the first activity with sequence number 0 and its input as JSON', () => {
    assert.deepEqual(decide(start, [activity('SayHello', { to: 'Tokyo' })]), [
      { kind: 'scheduleTask', id: 0, name: 'SayHello', input: '{"to":"Tokyo"}' },
    ]);
  });

  it('schedules the next activity of a chain only once the previous one completed', () => {
    const history = [...start, e.taskScheduled(0, 'A'), e.completed(), e.started(1), e.taskCompleted(0, 'a')];
    assert.deepEqual(decide(history, [activity('A'), activity('B')]), [{ kind: 'scheduleTask', id: 1, name: 'B', input: undefined }].map(stripUndefined));
    const waiting = [...start, e.taskScheduled(0, 'A'), e.completed()];
    assert.deepEqual(decide(waiting, [activity('A')]), []);
  });

  it('numbers the tasks of Task.all in order and continues when all completed', () => {
    assert.deepEqual(decide(start, [all(activity('A'), activity('B'), activity('C'))]).map((d) => d.id), [0, 1, 2]);
    const partial = [...start, e.taskScheduled(0, 'A'), e.taskScheduled(1, 'B'), e.taskScheduled(2, 'C'), e.completed(),
      e.started(1), e.taskCompleted(2, 'c'), e.taskCompleted(0, 'a')];
    assert.deepEqual(decide(partial, [all(activity('A'), activity('B'), activity('C'))]), []);
    const done = [...partial, e.completed(1), e.started(2), e.taskCompleted(1, 'b')];
    assert.deepEqual(decide(done, [all(activity('A'), activity('B'), activity('C')), activity('D')]).map((d) => [d.id, kindName(d)]), [[3, 'D']]);
  });

  it('continues after Task.all as soon as one task fails, as the library does', () => {
    const history = [...start, e.taskScheduled(0, 'A'), e.taskScheduled(1, 'B'), e.completed(), e.started(1), e.taskFailed(1, 'boom')];
    assert.deepEqual(decide(history, [all(activity('A'), activity('B')), activity('Cleanup')]).map((d) => [d.id, kindName(d)]), [[2, 'Cleanup']]);
  });

  it('continues after Task.any with the first task that finishes (A or B)', () => {
    const history = [...start, e.taskScheduled(0, 'TaskA'), e.taskScheduled(1, 'TaskB'), e.completed(), e.started(1), e.taskCompleted(1, 'B')];
    assert.deepEqual(decide(history, [any(activity('TaskA'), activity('TaskB')), activity('Next')]).map((d) => d.id), [2]);
  });

  it('races a timer against an activity', () => {
    const actions = [any(timer(30), activity('TaskA'))];
    assert.deepEqual(decide(start, actions), [{ kind: 'createTimer', id: 0, fireAt: at(30) }, { kind: 'scheduleTask', id: 1, name: 'TaskA' }]);
    const timerWins = [...start, e.timerCreated(0, 30), e.taskScheduled(1, 'TaskA'), e.completed(), e.started(31), e.timerFired(0, 30)];
    assert.deepEqual(decide(timerWins, [...actions, activity('Late')]).map((d) => [d.id, kindName(d)]), [[2, 'Late']]);
  });

  it('delivers external events to waiters, buffering those that arrive before anyone waits', () => {
    const early = [...start, e.raised('approval', true, 0)];
    assert.deepEqual(decide(early, [{ kind: 'waitForExternalEvent', name: 'approval' }, activity('Ship')]).map((d) => d.id), [0]);
    const waiting = [...start, e.completed()];
    assert.deepEqual(decide(waiting, [{ kind: 'waitForExternalEvent', name: 'approval' }]), []);
    const arrived = [...waiting, e.started(5), e.raised('other'), e.raised('approval', 'yes', 5)];
    assert.deepEqual(decide(arrived, [{ kind: 'waitForExternalEvent', name: 'approval' }, activity('Ship')]).map((d) => d.id), [0]);
  });

  it('drives activity retries the way DurableTask.Core does: timer, new attempt, immediate timer after the last', () => {
    const action = activity('Flaky', 1, retry(1000, 3, { backoffCoefficient: 2 }));
    const failedOnce = [...start, e.taskScheduled(0, 'Flaky'), e.completed(), e.started(10), e.taskFailed(0, 'first')];
    assert.deepEqual(decide(failedOnce, [action]), [{ kind: 'createTimer', id: 1, fireAt: at(11) }]);
    const fired = [...failedOnce, e.timerCreated(1, 11), e.completed(10), e.started(11), e.timerFired(1, 11)];
    assert.deepEqual(decide(fired, [action]), [{ kind: 'scheduleTask', id: 2, name: 'Flaky', input: '1' }]);
    const failedTwice = [...fired, e.taskScheduled(2, 'Flaky'), e.completed(11), e.started(20), e.taskFailed(2, 'second', 20)];
    assert.deepEqual(decide(failedTwice, [action]), [{ kind: 'createTimer', id: 3, fireAt: at(22) }]);
    const third = [...failedTwice, e.timerCreated(3, 22), e.completed(20), e.started(22), e.timerFired(3, 22), e.taskScheduled(4, 'Flaky'),
      e.completed(22), e.started(30), e.taskFailed(4, 'third', 30)];
    assert.deepEqual(decide(third, [action]), [{ kind: 'createTimer', id: 5, fireAt: at(30) }]);
    const givenUp = [...third, e.timerCreated(5, 30), e.completed(30), e.started(30), e.timerFired(5, 30)];
    assert.deepEqual(decide(givenUp, [action, activity('Compensate')]).map((d) => [d.id, kindName(d)]), [[6, 'Compensate']]);
  });

  it('caps the backoff at the maximum retry interval', () => {
    const action = activity('Flaky', undefined, retry(1000, 5, { backoffCoefficient: 10, maxRetryIntervalMs: 4000 }));
    const history = [...start, e.taskScheduled(0, 'Flaky'), e.completed(), e.started(1), e.taskFailed(0, 'first', 1), e.timerCreated(1, 2),
      e.completed(1), e.started(2), e.timerFired(1, 2), e.taskScheduled(2, 'Flaky'), e.completed(2), e.started(3), e.taskFailed(2, 'second', 3)];
    assert.deepEqual(decide(history, [action]), [{ kind: 'createTimer', id: 3, fireAt: at(7) }]);
  });

  it('names sub-orchestrations after the execution and sequence number unless an id is given', () => {
    assert.deepEqual(decide(start, [
      { kind: 'callSubOrchestrator', name: 'Child', input: 'x' },
    ]), [{ kind: 'createSubOrchestration', id: 0, name: 'Child', instanceId: 'exec-1:0', input: '"x"' }]);
    const history = [...start, e.subCreated(0, 'Child', 'exec-1:0'), e.completed(), e.started(1), e.subCompleted(0, 'done')];
    assert.deepEqual(decide(history, [
      { kind: 'callSubOrchestrator', name: 'Child', input: 'x' },
      { kind: 'callSubOrchestrator', name: 'Child', instanceId: 'my-child', input: undefined, version: '2.0' },
    ]), [{ kind: 'createSubOrchestration', id: 1, name: 'Child', instanceId: 'my-child', version: '2.0' }]);
  });

  it('sends entity operations as numbered events and waits for the answer under the request id', () => {
    const actions: OrchestratorAction[] = [
      { kind: 'signalEntity', entityId: '@counter@k', operation: 'add', input: 1 },
      { kind: 'callEntity', entityId: '@counter@k', operation: 'get', input: undefined },
      activity('After'),
    ];
    const first = decide(start, actions);
    assert.deepEqual(first.map((d) => [d.id, kindName(d)]), [[0, '@counter@k'], [1, '@counter@k']]);
    const call = first[1] as Decision & { kind: 'sendEntityOperation' };
    assert.equal(call.request.signal, false);
    assert.equal(call.request.parent, 'instance-1');
    assert.equal((first[0] as Decision & { kind: 'sendEntityOperation' }).request.input, '1');
    const answered = [...start, e.eventSent(0, '@counter@k', 'signal-id'), e.eventSent(1, '@counter@k', 'request-7'), e.completed(),
      e.started(1), e.raised('request-7', { result: '1' })];
    assert.deepEqual(decide(answered, actions).map((d) => [d.id, kindName(d)]), [[2, 'After']]);
    const unanswered = [...answered.slice(0, -1), e.raised(call.request.id, { result: '1' })];
    assert.deepEqual(decide(unanswered, actions), [], 'the request id recorded in history wins over a derived one');
  });

  it('derives the same entity request id when the episode runs again', () => {
    const actions: OrchestratorAction[] = [{ kind: 'callEntity', entityId: '@counter@k', operation: 'get', input: undefined }];
    const first = decide(start, actions)[0] as Decision & { kind: 'sendEntityOperation' };
    const again = decide(start, actions)[0] as Decision & { kind: 'sendEntityOperation' };
    assert.equal(first.request.id, again.request.id);
    assert.match(first.request.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('takes no sequence number for continueAsNew', () => {
    assert.deepEqual(decide(start, [activity('A'), { kind: 'continueAsNew', input: 1 }]).map((d) => d.id), [0]);
  });

  it('polls an HTTP 202 with a timer and a GET of its Location, reserving both sequence numbers at once', () => {
    const request = { method: 'POST', uri: 'https://example.test/start', content: '{}', headers: { 'x-functions-key': 'k', accept: 'json' }, asynchronousPatternEnabled: true, hasTokenSource: false };
    const actions: OrchestratorAction[] = [{ kind: 'callHttp', request }];
    const first = decide(start, actions);
    assert.equal(first.length, 1);
    assert.deepEqual([first[0]?.id, kindName(first[0] as Decision)], [0, 'BuiltIn::HttpActivity']);
    const accepted = { statusCode: 202, headers: { Location: 'https://example.test/status', 'Retry-After': '5' }, content: '' };
    const polled = [...start, e.taskScheduled(0, 'BuiltIn::HttpActivity'), e.completed(), e.started(2), e.taskCompleted(0, accepted, 2)];
    assert.deepEqual(decide(polled, actions), [{ kind: 'createTimer', id: 1, fireAt: at(7) }]);
    const fired = [...polled, e.timerCreated(1, 7), e.completed(2), e.started(7), e.timerFired(1, 7)];
    const poll = decide(fired, actions)[0] as Decision & { kind: 'scheduleTask' };
    assert.equal(poll.id, 2);
    assert.deepEqual(poll.http, { method: 'GET', uri: 'https://example.test/status', headers: { accept: 'json' }, asynchronousPatternEnabled: true, hasTokenSource: false });
    const done = [...fired, e.taskScheduled(2, 'BuiltIn::HttpActivity'), e.completed(7), e.started(8), e.taskCompleted(2, { statusCode: 200, headers: {}, content: 'ok' }, 8)];
    assert.deepEqual(decide(done, [...actions, activity('Next')]).map((d) => d.id), [3]);
  });

  describe('non-determinism', () => {
    it('names the recorded and the new task when the code calls a different activity', () => {
      const history = [...start, e.taskScheduled(0, 'A'), e.completed(), e.started(1), e.taskCompleted(0, 'a'), e.taskScheduled(1, 'B'), e.completed(1),
        e.started(2), e.taskCompleted(1, 'b')];
      const message = nonDeterminism(history, [activity('A'), activity('C')]);
      assert.match(message, /activity "B"/);
      assert.match(message, /activity "C"/);
      assert.match(message, /sequence number 1/);
    });

    it('detects a timer where the history has an activity', () => {
      const history = [...start, e.taskScheduled(0, 'A'), e.completed(), e.started(1), e.taskCompleted(0, 'a')];
      assert.match(nonDeterminism(history, [timer(5)]), /activity "A".*durable timer/);
    });

    it('detects a task the code no longer schedules', () => {
      const history = [...start, e.taskScheduled(0, 'A'), e.taskScheduled(1, 'B'), e.completed(), e.started(1), e.taskCompleted(0, 'a')];
      assert.match(nonDeterminism(history, [activity('A')]), /activity "B".*no longer schedules/);
    });

    it('detects a call to a different sub-orchestrator or entity', () => {
      const sub = [...start, e.subCreated(0, 'Child', 'exec-1:0'), e.completed(), e.started(1)];
      assert.match(nonDeterminism(sub, [{ kind: 'callSubOrchestrator', name: 'Other', input: undefined }]), /sub-orchestrator "Child".*sub-orchestrator "Other"/);
      const entity = [...start, e.eventSent(0, '@counter@a', 'r'), e.completed(), e.started(1)];
      assert.match(nonDeterminism(entity, [{ kind: 'callEntity', entityId: '@counter@b', operation: 'get', input: undefined }]), /@counter@a.*@counter@b/);
    });
  });
});

function kindName(decision: Decision): string {
  switch (decision.kind) {
    case 'scheduleTask':
    case 'createSubOrchestration':
      return decision.name;
    case 'createTimer':
      return 'timer';
    case 'sendEntityOperation':
      return decision.entityId;
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
