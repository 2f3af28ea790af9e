import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderInstanceTable } from '../../../router/cli/output/instance-table.js';
import { abandonedWarning, decommissioned, refusalDetails } from '../../../router/cli/output/version-change.js';

describe('renderInstanceTable', () => {
  const instance = { instanceId: 'order-1', name: 'processOrder', routeKey: '1.0', version: null, runtimeStatus: 'Running', createdTime: '2026-05-01T10:00:00.123Z', lastUpdatedTime: '2026-05-01T10:00:05.000Z' };

  it('shows the full version when known, else the major.minor, with times to the second', () => {
    assert.equal(renderInstanceTable([instance, { ...instance, instanceId: 'order-22', routeKey: '1.1', version: '1.1.0' }], null), [
      'INSTANCE  NAME          VERSION  STATUS   CREATED               UPDATED',
      'order-1   processOrder  1.0      Running  2026-05-01 10:00:00Z  2026-05-01 10:00:05Z',
      'order-22  processOrder  1.1.0    Running  2026-05-01 10:00:00Z  2026-05-01 10:00:05Z',
      '2 instances',
      '',
    ].join('\n'));
  });

  it('says how to read on when more instances follow, and when none match', () => {
    assert.match(renderInstanceTable([instance], 'TOKEN'), /^1 instance\nmore instances follow: add --all, or --continuation-token TOKEN\n$/m);
    assert.equal(renderInstanceTable([], null), 'No instances match.\n');
  });
});

describe('decommission messages', () => {
  const tally = { pending: 1, running: 2, suspended: 0, total: 3 };
  const change = { routeKey: '1.0', state: 'decommissioned', current: '1.1', app: 'dr-local-v1-0' };

  it('warn only when a forced decommission abandoned instances', () => {
    assert.equal(abandonedWarning({ ...change, forced: true, abandoned: tally }),
      'warning: 1.0 was decommissioned by force, abandoning 3 unfinished instances (2 running, 1 pending, 0 suspended): they will never finish.');
    assert.equal(abandonedWarning({ ...change, forced: true, abandoned: { ...tally, pending: 0, running: 0, total: 0 } }), undefined);
    assert.equal(abandonedWarning({ ...change, forced: false, abandoned: tally }), undefined);
    assert.match(decommissioned(change), /its app dr-local-v1-0 was deleted/);
  });

  it('under a refusal, count the instances and name --force', () => {
    assert.equal(refusalDetails('1.0', { pending: 0, running: 1, suspended: 0, total: 1 }),
      '  1 unfinished instance (1 running, 0 pending, 0 suspended); wait for them to finish, or run "durable-router decommission 1.0 --force" to abandon them.');
    assert.equal(refusalDetails('1.0', undefined), undefined);
  });
});
