/** The engine's pure parts: protocol parsing, episode outcomes, inbox planning, entities, payloads, settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkStatusPayload, historyPayload, jsonToken, statusPayload } from '../../../../deployer/host/durable/api/status-payload.js';
import { parseDurableTaskSettings } from '../../../../deployer/host/durable/configuration/durable-task-settings.js';
import {
  applyEntityResult, entityTriggerPayload, failEntityBatch, freshRequests, parseEntityInstanceId, parseEntityState, serializeEntityState,
} from '../../../../deployer/host/durable/entities/entity-batch.js';
import { EventType, type HistoryEvent } from '../../../../deployer/host/durable/history/history-event.js';
import { fromHistoryRow, historyRowKey, toHistoryRow } from '../../../../deployer/host/durable/history/history-rows.js';
import { decideEpisode, type EpisodeInput } from '../../../../deployer/host/durable/orchestration/episode.js';
import { planInbox, viewExecution, type InboxItem } from '../../../../deployer/host/durable/orchestration/inbox-plan.js';
import { orchestratorTriggerPayload } from '../../../../deployer/host/durable/orchestration/orchestrator-payload.js';
import { parseOrchestratorFailure, parseOrchestratorResult, OrchestratorProtocolError } from '../../../../deployer/host/durable/orchestration/orchestrator-turn.js';
import { taskFailed } from '../../../../deployer/host/durable/orchestration/task-results.js';
import { checkVersion, compareVersions } from '../../../../deployer/host/durable/orchestration/version-check.js';
import type { InstanceState } from '../../../../deployer/host/durable/storage/tracking-store.js';
import type { WorkMessage } from '../../../../deployer/host/durable/storage/work-queue.js';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { at, events as e } from './fixtures/history-builder.js';

const catalog = { hasActivity: (n: string) => n !== 'Missing', hasOrchestrator: () => true, hasEntity: () => true };

function episode(history: HistoryEvent[], outcome: EpisodeInput['outcome']): ReturnType<typeof decideEpisode> {
  return decideEpisode({
    instanceId: 'instance-1', executionId: 'exec-1', orchestratorName: 'Flow', history, outcome, now: at(9), functions: catalog, defaultHttpPollIntervalMs: 1000,
  });
}

describe('the out-of-process protocol', () => {
  it('reads a V3 orchestrator state: compound actions, decoded inputs, retry defaults', () => {
    const turn = parseOrchestratorResult({
      isDone: false,
      actions: [[
        { actionType: 0, functionName: 'A', input: '"text"' },
        { actionType: 12, compoundActions: [{ actionType: 5, fireAt: '2024-03-01T10:00:30.000Z', isCanceled: false }, { actionType: 6, externalEventName: 'go' }] },
        { actionType: 1, functionName: 'B', input: { n: 1 }, retryOptions: { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 3 } },
        { actionType: 2, functionName: 'Child', input: 'raw', instanceId: '' },
        { actionType: 9, instanceId: '@counter@k', operation: 'add', input: 1 },
      ]],
      output: null,
      customStatus: { stage: 1 },
      schemaVersion: 2,
    });
    assert.equal(turn.isDone, false);
    assert.deepEqual(turn.customStatus, { stage: 1 });
    assert.deepEqual(turn.actions, [
      { kind: 'callActivity', name: 'A', input: 'text' },
      { kind: 'whenAll', children: [{ kind: 'createTimer', fireAt: new Date('2024-03-01T10:00:30.000Z') }, { kind: 'waitForExternalEvent', name: 'go' }] },
      {
        kind: 'callActivity', name: 'B', input: { n: 1 },
        retry: { firstRetryIntervalMs: 100, maxNumberOfAttempts: 3, backoffCoefficient: 1, maxRetryIntervalMs: Infinity },
      },
      { kind: 'callSubOrchestrator', name: 'Child', input: 'raw' },
      { kind: 'signalEntity', entityId: '@counter@k', operation: 'add', input: 1 },
    ]);
  });

  it('refuses actions it cannot run, and entity locks (schema V4)', () => {
    assert.throws(() => parseOrchestratorResult({ isDone: false, actions: [[{ actionType: 42 }]] }), OrchestratorProtocolError);
    assert.throws(() => parseOrchestratorResult({ isDone: false, actions: [[{ actionType: 13, lockSet: [] }]] }), /locking/);
    assert.throws(() => parseOrchestratorResult('nonsense'), OrchestratorProtocolError);
  });

  it('reads the error of a failing orchestrator, with or without $OutOfProcData$', () => {
    const state = { isDone: false, actions: [[{ actionType: 0, functionName: 'A' }]], error: 'it broke', schemaVersion: 2 };
    const failure = parseOrchestratorFailure(new Error(`false\n\n$OutOfProcData$:${JSON.stringify(state)}`));
    assert.equal(failure.error, 'it broke');
    assert.equal(failure.turn?.actions.length, 1);
    assert.deepEqual(parseOrchestratorFailure(new Error('plain')), { ok: false, error: 'plain' });
  });

  it('builds the trigger payload with played events and the input as a value, without sharing event objects', () => {
    const history = [e.started(0), e.execution('Flow', { n: 2 }), e.completed(0), e.started(5)];
    const payload = orchestratorTriggerPayload('instance-1', history, 3) as { history: HistoryEvent[]; input: unknown; isReplaying: boolean; upperSchemaVersionNew: number };
    assert.deepEqual(payload.history.map((event) => event.IsPlayed), [true, true, true, false]);
    assert.deepEqual(payload.input, { n: 2 });
    assert.equal(payload.isReplaying, true);
    assert.equal(payload.upperSchemaVersionNew, 2);
    assert.notEqual(payload.history[0], history[0]);
  });
});

describe('deciding an episode', () => {
  const running = [e.started(0), e.execution('Flow'), e.taskScheduled(0, 'A'), e.completed(), e.started(9), e.taskCompleted(0, 1)];

  it('completes with the output as JSON and closes the episode', () => {
    const result = episode(running, { ok: true, turn: { isDone: true, actions: [{ kind: 'callActivity', name: 'A', input: undefined }], output: { total: 3 }, customStatus: 'done' } });
    assert.deepEqual(result.completion, { status: 'Completed', output: '{"total":3}' });
    assert.equal(result.customStatus, '"done"');
    assert.deepEqual(result.appended.map((event) => event.EventType), [EventType.ExecutionCompleted, EventType.OrchestratorCompleted]);
  });

  it('continues as new with the decoded input', () => {
    const result = episode(running, { ok: true, turn: { isDone: true, actions: [{ kind: 'callActivity', name: 'A', input: undefined }, { kind: 'continueAsNew', input: 'next' }], output: undefined, customStatus: undefined } });
    assert.deepEqual(result.completion, { status: 'ContinuedAsNew', input: '"next"' });
    assert.equal(result.appended[0]?.EventType, EventType.ContinueAsNew);
  });

  it('fails with the orchestrator error, or when it calls a function that does not exist', () => {
    const failed = episode(running, { ok: false, error: 'Error: boom' });
    assert.deepEqual(failed.completion, { status: 'Failed', reason: "Orchestrator function 'Flow' failed: Error: boom", details: 'Error: boom' });
    assert.deepEqual(failed.decisions, []);
    const missing = episode(running, { ok: true, turn: { isDone: false, actions: [{ kind: 'callActivity', name: 'A', input: undefined }, { kind: 'callActivity', name: 'Missing', input: undefined }], output: undefined, customStatus: undefined } });
    assert.equal(missing.completion?.status, 'Failed');
    assert.match((missing.completion as { reason: string }).reason, /'Missing' doesn't exist/);
  });

  it('schedules new work as history events after the new events', () => {
    const result = episode(running, { ok: true, turn: { isDone: false, actions: [{ kind: 'callActivity', name: 'A', input: undefined }, { kind: 'createTimer', fireAt: new Date(at(60)) }], output: undefined, customStatus: undefined } });
    assert.deepEqual(result.appended, [
      { EventType: EventType.TimerCreated, EventId: 1, Timestamp: at(9), FireAt: at(60) },
      { EventType: EventType.OrchestratorCompleted, EventId: -1, Timestamp: at(9) },
    ]);
  });
});

describe('planning an inbox batch', () => {
  const started = [e.started(0), e.execution('Flow'), e.taskScheduled(0, 'A'), e.timerCreated(1, 30), e.completed()];
  const work = (key: string, body: WorkMessage['body']): InboxItem => ({ kind: 'work', message: { instanceId: 'instance-1', key, body } });

  it('plays new answers once, and drops stale and duplicate ones', () => {
    const view = viewExecution([...started, e.started(1), e.taskCompleted(0, 'a')], ['consumed-key']);
    const plan = planInbox(view, [
      { kind: 'memory', executionId: 'exec-1', event: e.taskCompleted(0, 'again') },
      { kind: 'memory', executionId: 'old-exec', event: e.timerFired(1, 30) },
      { kind: 'memory', executionId: 'exec-1', event: e.timerFired(1, 30) },
      { kind: 'memory', executionId: 'exec-1', event: e.timerFired(1, 30) },
      work('consumed-key', { kind: 'event', event: e.raised('x') }),
      work('fresh-key', { kind: 'event', event: e.raised('y') }),
      work('other-execution', { kind: 'event', event: e.raised('z'), executionId: 'old-exec' }),
    ]);
    assert.deepEqual(plan.events.map((event) => event.EventType), [EventType.TimerFired, EventType.EventRaised]);
    assert.deepEqual(plan.consumed, ['consumed-key', 'fresh-key', 'other-execution']);
  });

  it('holds events while suspended and plays them on resume', () => {
    const suspended = viewExecution([...started, e.started(1), { EventType: EventType.ExecutionSuspended, EventId: -1, Timestamp: at(1) }], []);
    const held = planInbox(suspended, [work('k1', { kind: 'event', event: e.raised('go') }), { kind: 'memory', executionId: 'exec-1', event: e.timerFired(1, 30) }]);
    assert.deepEqual(held.events, []);
    assert.equal(held.held.length, 2);
    assert.deepEqual(held.consumed, []);
    const resumed = planInbox(suspended, [...held.held, work('k2', { kind: 'resume' })]);
    assert.deepEqual(resumed.control, { kind: 'resume' });
    assert.deepEqual(resumed.events.map((event) => event.EventType), [EventType.EventRaised, EventType.TimerFired]);
    assert.deepEqual(resumed.consumed, ['k2', 'k1']);
  });

  it('terminates running instances only, and starts new executions of finished ones', () => {
    const finished = viewExecution([...started, e.started(2), { EventType: EventType.ExecutionCompleted, EventId: -1, Timestamp: at(2), OrchestrationStatus: 'Completed', Result: '1' }], []);
    assert.equal(planInbox(finished, [work('t', { kind: 'terminate', reason: 'x' })]).control, undefined);
    const restart = planInbox(finished, [{ kind: 'start', start: { executionId: 'exec-2', name: 'Flow' } }, work('r', { kind: 'event', event: e.raised('go') })]);
    assert.equal(restart.start?.executionId, 'exec-2');
    assert.equal(restart.events.length, 1);
    const running = viewExecution(started, []);
    assert.deepEqual(planInbox(running, [work('t', { kind: 'terminate', reason: 'x' })]).control, { kind: 'terminate', reason: 'x' });
    assert.equal(planInbox(running, [{ kind: 'start', start: { executionId: 'exec-1', name: 'Flow' } }]).start, undefined);
  });

  it('a start handed over by a process that does not own the hub runs once, whether its Pending row is recovered too or not', () => {
    const pending = { kind: 'start' as const, start: { executionId: 'exec-9', name: 'Flow', createdTime: at(0) } };
    const message = work('handed', { kind: 'start', executionId: 'exec-9', name: 'Flow', createdTime: at(0) });
    const fresh = viewExecution([], []);
    for (const [batch, start] of [[[pending, message], pending.start], [[message, pending], { ...pending.start, handedOver: true }]] as const) {
      const plan = planInbox(fresh, batch);
      assert.deepEqual(plan.start, start);
      assert.deepEqual(plan.consumed, ['handed']);
    }
    // The message arrives after the recovered Pending row started the execution: used up, not run again.
    const begun = viewExecution([e.started(1), e.execution('Flow', undefined, 'exec-9')], []);
    const late = planInbox(begun, [message]);
    assert.equal(late.start, undefined);
    assert.deepEqual(late.consumed, ['handed']);
  });
});

describe('entities', () => {
  const state = parseEntityState(serializeEntityState({ exists: true, state: '5', recentRequestIds: ['old'] }));

  it('addresses entities as @name@key and keeps their state with recent request ids', () => {
    assert.deepEqual(parseEntityInstanceId('@counter@a@b'), { name: 'counter', key: 'a@b' });
    assert.equal(parseEntityInstanceId('plain'), undefined);
    assert.deepEqual(state, { exists: true, state: '5', recentRequestIds: ['old'] });
    assert.deepEqual(parseEntityState('not json'), { exists: false, recentRequestIds: [] });
  });

  it('skips redelivered operations and answers calls, not signals', () => {
    const requests = [
      { id: 'old', op: 'add', signal: true },
      { id: 'call-1', op: 'get', signal: false, parent: 'orch', parentExecution: 'e1' },
      { id: 'sig-1', op: 'add', signal: true, input: '2' },
      { id: 'call-1', op: 'get', signal: false, parent: 'orch', parentExecution: 'e1' },
    ];
    const fresh = freshRequests(state, requests);
    assert.deepEqual(fresh.map((r) => r.id), ['call-1', 'sig-1']);
    assert.deepEqual(entityTriggerPayload({ name: 'counter', key: 'k' }, state, fresh), {
      self: { name: 'counter', key: 'k' }, exists: true, state: '5',
      batch: [{ id: 'call-1', name: 'get', signal: false }, { id: 'sig-1', name: 'add', signal: true, input: '2' }],
    });
    const outcome = applyEntityResult('@counter@k', state, fresh, {
      entityExists: true, entityState: '7',
      results: [{ isError: false, result: '5' }, { isError: false }],
      signals: [{ target: { name: 'Other', key: 'x' }, name: 'ping', input: '', requestId: 'sig-1' }],
    });
    assert.deepEqual(outcome.state, { exists: true, state: '7', recentRequestIds: ['old', 'call-1', 'sig-1'] });
    assert.deepEqual(outcome.answers, [{ instanceId: 'orch', executionId: 'e1', requestId: 'call-1', input: '{"result":"5"}' }]);
    assert.equal(outcome.signals[0]?.entityId, '@other@x');
    assert.equal(outcome.signals[0]?.request.signal, true);
    const failed = failEntityBatch(state, fresh, 'no entity');
    assert.deepEqual(failed.answers.map((a) => JSON.parse(a.input) as unknown), [{ result: '"no entity"', exceptionType: 'Error' }]);
    assert.equal(failed.state.state, '5');
  });
});

describe('HTTP API bodies', () => {
  const instance: InstanceState = {
    instanceId: 'a/b', name: 'Flow', input: '{"x":1}', output: 'terminated by ops', customStatus: 'null', runtimeStatus: 'Terminated',
    createdTime: new Date('2024-03-01T10:00:00.123Z'), lastUpdatedTime: new Date('2024-03-01T10:00:05.999Z'), executionId: 'e', taskHubName: 'Hub', etag: '*',
  };

  it('shapes status like the extension: JSON values, raw text outputs, second-precision times', () => {
    assert.deepEqual(statusPayload(instance, { showInput: true, showHistoryOutput: false }), {
      name: 'Flow', instanceId: 'a/b', runtimeStatus: 'Terminated', input: { x: 1 }, customStatus: null, output: 'terminated by ops',
      createdTime: '2024-03-01T10:00:00Z', lastUpdatedTime: '2024-03-01T10:00:05Z',
    });
    assert.equal(statusPayload(instance, { showInput: false, showHistoryOutput: false }).input, null);
    assert.equal(jsonToken(undefined), null);
    assert.equal(jsonToken('  '), '');
  });

  it('folds scheduling events into their results and hides episode boundaries', () => {
    const history = [e.started(0), e.execution('Flow', 1), e.taskScheduled(0, 'A', 1), e.completed(), e.started(1), e.taskCompleted(0, 2), e.completed(1)];
    const shown = historyPayload(history, true, true);
    assert.deepEqual(shown.map((event) => event['EventType']), ['ExecutionStarted', 'TaskCompleted']);
    assert.equal(shown[0]?.['FunctionName'], 'Flow');
    assert.deepEqual([shown[1]?.['FunctionName'], shown[1]?.['Result'], shown[1]?.['Input'], shown[1]?.['ScheduledTime']], ['A', 2, '1', at(0)]);
    assert.equal(historyPayload(history, false, false)[1]?.['Result'], undefined);
  });

  it('builds management URLs with the instance id encoded', () => {
    const body = checkStatusPayload('http://h:1', 'a/b c', 'Hub');
    assert.equal(body.statusQueryGetUri, 'http://h:1/runtime/webhooks/durabletask/instances/a%2Fb%20c?taskHub=Hub&connection=Storage');
    assert.equal(body.id, 'a/b c');
  });
});

describe('history rows', () => {
  it('stores events as DurableTask.AzureStorage rows and reads them back unchanged', () => {
    const row = toHistoryRow('pk', 26, 'exec', { ...e.timerFired(3, 30), IsPlayed: true });
    assert.equal(row.rowKey, '000000000000001A');
    assert.equal(row.EventType, 'TimerFired');
    assert.ok(row._Timestamp instanceof Date);
    assert.equal(historyRowKey(255), '00000000000000FF');
    const event = arbitraryEvent();
    fc.assert(fc.property(event, (original) => {
      assert.deepEqual(fromHistoryRow(toHistoryRow('pk', 0, 'exec', original)), { IsPlayed: false, ...original });
    }), { numRuns: 200 });
  });
});

describe('settings and versions', () => {
  it('names the tables by hub, or by the shared tracking store prefix', () => {
    const own = parseDurableTaskSettings({ HubName: 'OrdersV2' });
    assert.deepEqual(own.trackingTables, { instances: 'OrdersV2Instances', history: 'OrdersV2History' });
    assert.equal(own.workTable, 'OrdersV2Work');
    assert.equal(own.trackingStoreConnectionName, 'AzureWebJobsStorage');
    const shared = parseDurableTaskSettings({ hubName: 'OrdersV2', storageProvider: { connectionName: 'Hub', trackingStoreConnectionName: 'Shared' } });
    assert.deepEqual(shared.trackingTables, { instances: 'DurableTaskInstances', history: 'DurableTaskHistory' });
    assert.equal(shared.connectionName, 'Hub');
    assert.equal(parseDurableTaskSettings(undefined).hubName, 'TestHubName');
  });

  it('refuses invalid hub names and settings with a clear error', () => {
    for (const bad of [{ hubName: 'x' }, { hubName: '9lives' }, { hubName: 'has-dash' }, { maxConcurrentActivityFunctions: 0 }, { versionMatchStrategy: 'Sometimes' }]) {
      assert.throws(() => parseDurableTaskSettings(bad), (error) => isRouterError(error, 'INVALID_CONFIGURATION'));
    }
  });

  it('compares versions numerically when it can', () => {
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('1.0', '1.0.0'), -1);
    assert.equal(compareVersions('beta', 'Beta'), 0);
    assert.deepEqual(checkVersion('1.0', '2.0', 'CurrentOrOlder', 'Fail'), { ok: true });
    const rejected = checkVersion('2.1', '2.0', 'CurrentOrOlder', 'Reject');
    assert.equal(rejected.ok, false);
    assert.deepEqual(checkVersion('2.1', '2.0', 'None', 'Fail'), { ok: true });
  });
});

describe('activity failures', () => {
  it('records the error as the extension does, and an exception-properties payload as FailureDetails', () => {
    const plain = taskFailed('Charge', 4, new Error('card declined'), at(1));
    assert.equal(plain.Reason, "Activity function 'Charge' failed: card declined");
    assert.equal(plain.TaskScheduledId, 4);
    const detailed = taskFailed('Charge', 4, new Error(JSON.stringify({ errorType: 'PaymentError', errorMessage: 'declined', isNonRetriable: true, properties: { code: 7 } })), at(1));
    assert.deepEqual(detailed.FailureDetails && { ...detailed.FailureDetails, StackTrace: undefined }, {
      ErrorType: 'PaymentError', ErrorMessage: 'declined', StackTrace: undefined, IsNonRetriable: true, Properties: { code: 7 },
    });
  });
});

function arbitraryEvent(): fc.Arbitrary<HistoryEvent> {
  const text = fc.string({ maxLength: 20 });
  const time = fc.integer({ min: 0, max: 10 ** 6 }).map((seconds) => at(seconds));
  return fc.record({
    EventType: fc.constantFrom(...Object.values(EventType)),
    EventId: fc.integer({ min: -1, max: 1000 }),
    Timestamp: time,
    Name: text, Input: text, Result: text, TaskScheduledId: fc.nat(100), FireAt: time,
    OrchestrationInstance: fc.record({ InstanceId: text, ExecutionId: text }, { noNullPrototype: true }),
  }, { requiredKeys: ['EventType', 'EventId', 'Timestamp'], noNullPrototype: true });
}
