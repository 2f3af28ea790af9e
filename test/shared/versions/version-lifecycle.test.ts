import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { canTransition, checkTransition } from '../../../shared/versions/version-lifecycle.js';
import { versionStates, type VersionState } from '../../../shared/versions/version-map.js';

// The lifecycle as specified (design.md, "Version lifecycle"), restated here to check the table against.
const legal = new Set([
  'provisioning→active', 'provisioning→failed',
  'active→draining',
  'draining→active', 'draining→drained',
  'drained→active', 'drained→decommissioned',
  'failed→decommissioned',
]);
const forcedOnly = new Set(['active→decommissioned', 'draining→decommissioned']);

const pairs: [VersionState, VersionState][] = versionStates.flatMap((from) => versionStates.map((to): [VersionState, VersionState] => [from, to]));

describe('version lifecycle', () => {
  it('allows exactly the specified transitions, and the forced ones only with force', () => {
    for (const [from, to] of pairs) {
      const key = `${from}→${to}`;
      assert.equal(canTransition(from, to), legal.has(key), key);
      assert.equal(canTransition(from, to, { force: true }), legal.has(key) || forcedOnly.has(key), `${key} (forced)`);
    }
  });

  it('never leaves decommissioned and never returns to provisioning', () => {
    for (const state of versionStates) {
      assert.equal(canTransition('decommissioned', state, { force: true }), false);
      assert.equal(canTransition(state, 'provisioning', { force: true }), false);
    }
  });

  it('returns the target state of a legal transition', () => {
    assert.equal(checkTransition('1.2', 'draining', 'drained'), 'drained');
    assert.equal(checkTransition('1.2', 'active', 'decommissioned', { force: true }), 'decommissioned');
  });

  it('refuses every illegal transition with VERSION_STATE_CONFLICT naming the version and both states', () => {
    for (const [from, to] of pairs) {
      if (canTransition(from, to)) continue;
      assert.throws(() => checkTransition('4.5', from, to), (error) => {
        assert.ok(isRouterError(error, 'VERSION_STATE_CONFLICT'));
        assert.equal(error.status, 409);
        assert.ok(error.message.startsWith(`Version 4.5 is ${from} and cannot become ${to}: `), error.message);
        assert.deepEqual(error.details, { routeKey: '4.5', state: from, requestedState: to });
        return true;
      });
    }
  });

  it('says what is possible instead', () => {
    assert.throws(() => checkTransition('1.0', 'active', 'decommissioned'), /drain it first, or force it/);
    assert.throws(() => checkTransition('1.0', 'provisioning', 'draining'), /from provisioning it can only become active or failed/);
    assert.throws(() => checkTransition('1.0', 'decommissioned', 'active'), /a decommissioned version never changes state/);
  });
});
