/** Which stored rows are history (the sentinel's last complete checkpoint), and duplicates in one inbox batch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedHistory, sentinelColumns, type StoredRow } from '../../../../deployer/host/durable/history/checkpoint-sentinel.js';
import { EventType, type HistoryEvent } from '../../../../deployer/host/durable/history/history-event.js';
import { fromHistoryRow, toHistoryRow } from '../../../../deployer/host/durable/history/history-rows.js';
import { planInbox, viewExecution } from '../../../../deployer/host/durable/orchestration/inbox-plan.js';
import type { WorkMessage } from '../../../../deployer/host/durable/storage/work-queue.js';
import { events as e } from './fixtures/history-builder.js';

const rows = (executionId: string, list: readonly HistoryEvent[], from = 0): StoredRow[] =>
  list.map((event, i) => toHistoryRow('i', from + i, executionId, event));
const sentinel = (columns: Record<string, unknown>): StoredRow => ({ rowKey: 'sentinel', etag: 'W/"1"', ...columns });
const complete = (executionId: string, eventCount: number, consumed: string[] = []): Record<string, unknown> =>
  sentinelColumns({ executionId, eventCount, consumed, final: true });

describe('the checkpoint sentinel', () => {
  const first = [e.started(), e.execution('Flow', undefined, 'exec-1'), e.taskScheduled(0, 'A'), e.completed()];

  it('holds the rows its last complete checkpoint counted, and ignores an unfinished episode written after it', () => {
    const unfinished = [e.started(5), e.taskCompleted(0, 'a'), e.taskScheduled(1, 'B')];
    const stored = committedHistory([
      ...rows('exec-1', first), ...rows('exec-1', unfinished, first.length),
      sentinel({ ...complete('exec-1', first.length, ['m1']), IsCheckpointComplete: false }),
    ], fromHistoryRow);
    assert.equal(stored.events.length, first.length);
    assert.deepEqual(stored.checkpoint, { executionId: 'exec-1', etag: 'W/"1"', consumed: ['m1'] });
    assert.equal(stored.unfinishedStart, undefined);
  });

  it('names the execution to start again when the unfinished episode began a new one over the old rows', () => {
    const next = [e.started(9), e.execution('Flow', { round: 1 }, 'exec-2'), e.taskScheduled(0, 'A')];
    const stored = committedHistory([
      ...rows('exec-2', next), ...rows('exec-1', [e.completed()], first.length - 1),
      sentinel({ ...complete('exec-1', first.length), IsCheckpointComplete: false }),
    ], fromHistoryRow);
    assert.deepEqual(stored.events, []);
    assert.equal(stored.unfinishedStart?.OrchestrationInstance?.ExecutionId, 'exec-2');
    assert.equal(stored.unfinishedStart?.Input, JSON.stringify({ round: 1 }));
  });

  it('keeps the ETag of a sentinel no checkpoint has completed yet, so the next writer does not create it again', () => {
    const stored = committedHistory([...rows('exec-1', first), sentinel(sentinelColumns({ executionId: 'exec-1', eventCount: 200, consumed: [], final: false }))], fromHistoryRow);
    assert.equal(stored.checkpoint?.etag, 'W/"1"');
    assert.equal(stored.checkpoint?.executionId, '');
    assert.deepEqual(stored.events, []);
    assert.equal(stored.unfinishedStart?.Name, 'Flow');
  });

  it('reads sentinels without an event count (written before it existed) as before', () => {
    const stored = committedHistory([...rows('exec-1', first), sentinel({ ExecutionId: 'exec-1', IsCheckpointComplete: true })], fromHistoryRow);
    assert.equal(stored.events.length, first.length);
  });
});

describe('one inbox batch with a message twice', () => {
  it('applies it once', () => {
    const message: WorkMessage = {
      instanceId: 'i', key: 'k1',
      body: { kind: 'event', event: { EventType: EventType.EventRaised, EventId: -1, Timestamp: new Date(0).toISOString(), Name: 'ping', Input: '1' } },
    };
    const view = viewExecution([e.started(), e.execution('Flow'), e.completed()], []);
    const plan = planInbox(view, [{ kind: 'work', message }, { kind: 'recover' }, { kind: 'work', message }]);
    assert.equal(plan.events.length, 1);
    assert.deepEqual(plan.consumed, ['k1']);
  });
});
