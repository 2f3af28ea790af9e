import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { emptyVersionMap, type AppRef, type VersionMap } from '../../../shared/versions/version-map.js';
import { decideDrain } from '../../../router/control-plane/drain/drain-decision.js';
import {
  activateRelease, decommissionVersion, drainVersion, failAbandonedProvisioning, failReleaseApp, promoteRelease, recordDrainCheck, recordPatchRelease,
  registerReleaseApp, withdrawLineageRelease,
} from '../../../router/control-plane/versions/version-changes.js';

const at = '2026-03-01T12:00:00.000Z';
const appFor = (routeKey: string): AppRef => ({ name: `dr-local-v${routeKey.replace('.', '-')}`, url: `http://127.0.0.1:7${routeKey.replace('.', '')}`, taskHub: `localv${routeKey.replace('.', 'x')}` });

function released(map: VersionMap, version: string): VersionMap {
  const routeKey = version.split('.').slice(0, 2).join('.');
  return activateRelease(registerReleaseApp(map, { version, app: appFor(routeKey), at }), version);
}

/** Applying a change to its own result changes nothing: the same map object comes back. */
function idempotent(map: VersionMap, change: (map: VersionMap) => VersionMap): VersionMap {
  const once = change(map);
  assert.equal(change(once), once);
  return once;
}

describe('version changes made by the control plane', () => {
  it('records a breaking release once, however often its steps run', () => {
    const provisioning = idempotent(emptyVersionMap, (map) => registerReleaseApp(map, { version: '1.0.0', app: appFor('1.0'), at }));
    assert.equal(findEntry(provisioning, '1.0')?.state, 'provisioning');
    const active = idempotent(provisioning, (map) => activateRelease(map, '1.0.0'));
    assert.equal(active.current, '1.0');
    const patched = idempotent(active, (map) => recordPatchRelease(map, '1.0.1'));
    assert.deepEqual(findEntry(patched, '1.0')?.versions, ['1.0.0', '1.0.1']);
  });

  it('promotes a breaking release and drains what it supersedes, once', () => {
    const map = released(released(released(emptyVersionMap, '1.0.0'), '1.1.0'), '2.0.0');
    const promoted = idempotent(map, (current) => promoteRelease(current, '2.0'));
    assert.equal(promoted.current, '2.0');
    assert.deepEqual(promoted.versions.map((entry) => [entry.routeKey, entry.state]), [['1.0', 'draining'], ['1.1', 'draining'], ['2.0', 'active']]);
  });

  it('marks only the failed release\'s own provisioning entry failed', () => {
    const provisioning = registerReleaseApp(released(emptyVersionMap, '1.0.0'), { version: '1.1.0', app: appFor('1.1'), at });
    assert.equal(failReleaseApp(provisioning, '1.1', 'someone-else'), provisioning);
    const failed = idempotent(provisioning, (map) => failReleaseApp(map, '1.1', appFor('1.1').name));
    assert.equal(findEntry(failed, '1.1')?.state, 'failed');
    assert.equal(failed.current, '1.0');
    assert.equal(failAbandonedProvisioning(failed, '1.0'), failed, 'an active entry is left alone');
    assert.equal(findEntry(failAbandonedProvisioning(provisioning, '1.1'), '1.1')?.state, 'failed');
    const withdrawn = idempotent(provisioning, (map) => withdrawLineageRelease(map, '1.1', appFor('1.1').name));
    assert.equal(findEntry(withdrawn, '1.1'), undefined, 'a lineage release that never raised the version leaves no entry');
    assert.equal(withdrawLineageRelease(provisioning, '1.1', 'someone-else'), provisioning);
  });

  it('drains and decommissions idempotently, and refuses what the lifecycle forbids', () => {
    const map = released(released(emptyVersionMap, '1.0.0'), '1.1.0');
    const current = promoteRelease(map, '1.1');
    assert.equal(findEntry(current, '1.0')?.state, 'draining');
    assert.equal(drainVersion(current, '1.0'), current);
    assert.throws(() => decommissionVersion(current, '1.0', at, false), (error) => isRouterError(error, 'VERSION_STATE_CONFLICT'));
    const forced = idempotent(current, (next) => decommissionVersion(next, '1.0', at, true));
    assert.equal(findEntry(forced, '1.0')?.state, 'decommissioned');
    assert.throws(() => drainVersion(current, '1.1'), (error) => isRouterError(error, 'VERSION_STATE_CONFLICT') && /current version/.test(error.message));
  });

  it('records drain checks: counts when they change, drained exactly when nothing is unfinished', () => {
    const draining = promoteRelease(released(released(emptyVersionMap, '1.0.0'), '1.1.0'), '1.1');
    fc.assert(fc.property(
      fc.array(fc.record({ pending: fc.nat(3), running: fc.nat(3), suspended: fc.nat(3) }), { minLength: 1, maxLength: 8 }),
      (checks) => {
        let map = draining;
        for (const [index, counts] of checks.entries()) {
          const before = findEntry(map, '1.0')!;
          const next = recordDrainCheck(map, '1.0', { ...counts, countedAt: `2026-03-01T12:00:0${index}.000Z` });
          const total = counts.pending + counts.running + counts.suspended;
          if (before.state !== 'draining') {
            assert.equal(next, map, 'only a draining version is checked');
          } else {
            assert.equal(findEntry(next, '1.0')?.state, total === 0 ? 'drained' : 'draining');
            if (total > 0) assert.deepEqual(findEntry(next, '1.0')?.instances?.running, counts.running);
          }
          assert.equal(findEntry(next, '1.1')?.state, 'active');
          map = next;
        }
      },
    ));
    const counted = recordDrainCheck(draining, '1.0', { pending: 0, running: 2, suspended: 0, countedAt: at });
    assert.equal(recordDrainCheck(counted, '1.0', { pending: 0, running: 2, suspended: 0, countedAt: '2026-03-01T12:00:05.000Z' }), counted, 'unchanged counts write nothing');
  });
});

describe('drain monitor decisions', () => {
  const now = new Date('2026-03-01T12:00:10.000Z');
  const entry = (state: 'active' | 'draining' | 'drained' | 'decommissioned', drainedAt?: string) => ({
    routeKey: '1.0', state, versions: ['1.0.0'], latest: '1.0.0', app: appFor('1.0'), createdAt: at, ...(drainedAt === undefined ? {} : { drainedAt }),
  });

  it('keeps watching a draining version every poll interval', () => {
    assert.deepEqual(decideDrain(entry('draining'), now, 5_000, 10_000), { action: 'wait', delayMs: 5_000 });
  });

  it('decommissions a drained version once its grace period has passed, and not before', () => {
    assert.deepEqual(decideDrain(entry('drained', '2026-03-01T12:00:08.000Z'), now, 5_000, 10_000), { action: 'wait', delayMs: 5_000 });
    assert.deepEqual(decideDrain(entry('drained', '2026-03-01T12:00:08.000Z'), now, 5_000, 3_000), { action: 'wait', delayMs: 1_000 });
    assert.deepEqual(decideDrain(entry('drained', '2026-03-01T12:00:00.000Z'), now, 5_000, 10_000), { action: 'decommission' });
    assert.deepEqual(decideDrain(entry('drained', '2026-03-01T12:00:10.000Z'), now, 5_000, 0), { action: 'decommission' });
  });

  it('stops for a version that is active again (a rollback), gone or decommissioned', () => {
    assert.equal(decideDrain(entry('active'), now, 5_000, 10_000).action, 'stop');
    assert.equal(decideDrain(entry('decommissioned'), now, 5_000, 10_000).action, 'stop');
    assert.equal(decideDrain(undefined, now, 5_000, 10_000).action, 'stop');
  });
});
