/** The task hub lease's rule (ownership/lease-rule.ts): who takes, renews, asks for and hands over the hub. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideLease, releaseLease, withdrawRequest, type LeaseRecord, type LeaseView } from '../../../../deployer/host/durable/ownership/lease-rule.js';

const durationMs = 10_000;
const now = 1_000_000;
const view = (me: string, extra: Partial<LeaseView> = {}): LeaseView => ({ me, process: `vm/${me}`, ownerGone: false, now, durationMs, holding: false, mayRequest: true, ...extra });
const held = (owner: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({ owner, ownerProcess: `vm/${owner}`, expiresAt: now + 5_000, requestedBy: '', requestExpiresAt: 0, ...extra });

describe('the task hub lease rule', () => {
  it('takes a hub nobody holds, a released one and an expired one', () => {
    assert.equal(decideLease(undefined, view('a')).kind, 'take');
    assert.equal(decideLease(held(''), view('a')).kind, 'take');
    assert.equal(decideLease(held('b', { expiresAt: now }), view('a', { mayRequest: false })).kind, 'take');
  });

  it('takes a live lease at once from an owner whose process has ended, and records its own process', () => {
    const taken = decideLease(held('b', { requestedBy: 'c', requestExpiresAt: now + 5_000 }), view('a', { ownerGone: true, mayRequest: false }));
    assert.equal(taken.kind, 'take');
    assert.equal(taken.kind === 'take' && taken.next.ownerProcess, 'vm/a');
  });

  it('a new engine asks a live owner for the hub; one that held it before only waits', () => {
    const asked = decideLease(held('b'), view('a'));
    assert.equal(asked.kind, 'request');
    assert.equal(asked.kind === 'request' && asked.next.requestedBy, 'a');
    assert.equal(decideLease(held('b'), view('a', { mayRequest: false })).kind, 'wait');
    // Another live request comes first; its own is not written again until half its life is over.
    assert.equal(decideLease(held('b', { requestedBy: 'c', requestExpiresAt: now + 1 }), view('a')).kind, 'wait');
    assert.equal(decideLease(held('b', { requestedBy: 'a', requestExpiresAt: now + 9_000 }), view('a')).kind, 'wait');
    assert.equal(decideLease(held('b', { requestedBy: 'a', requestExpiresAt: now + 1_000 }), view('a')).kind, 'request');
    assert.equal(decideLease(held('b', { requestedBy: 'c', requestExpiresAt: now }), view('a')).kind, 'request');
  });

  it('the owner renews, sees a handover request, and learns when another engine holds the hub', () => {
    const plain = decideLease(held('a'), view('a', { holding: true }));
    assert.deepEqual(plain, { kind: 'renew', next: held('a', { expiresAt: now + durationMs }), handover: false });
    const asked = decideLease(held('a', { requestedBy: 'b', requestExpiresAt: now + 1 }), view('a', { holding: true }));
    assert.equal(asked.kind === 'renew' && asked.handover, true);
    const stale = decideLease(held('a', { requestedBy: 'b', requestExpiresAt: now }), view('a', { holding: true }));
    assert.equal(stale.kind === 'renew' && stale.handover, false);
    assert.equal(decideLease(held('b'), view('a', { holding: true })).kind, 'lost');
    assert.equal(decideLease(held(''), view('a', { holding: true })).kind, 'lost');
  });

  it('a released lease is the requester\'s until it expires, then anyone\'s', () => {
    const released = releaseLease(held('a', { requestedBy: 'b', requestExpiresAt: now + 1 }), 'a', now, durationMs);
    assert.deepEqual(released, { owner: '', ownerProcess: '', expiresAt: now + durationMs, requestedBy: 'b', requestExpiresAt: now + 1 });
    assert.equal(decideLease(released, view('b')).kind, 'take');
    assert.equal(decideLease(released, view('a', { mayRequest: false })).kind, 'wait');
    assert.equal(decideLease(released, view('a', { mayRequest: false, now: now + durationMs })).kind, 'take');
    assert.deepEqual(releaseLease(held('a'), 'a', now, durationMs), { owner: '', ownerProcess: '', expiresAt: 0, requestedBy: '', requestExpiresAt: 0 });
    assert.equal(releaseLease(held('b'), 'a', now, durationMs), undefined);
    assert.deepEqual(withdrawRequest(held('b', { requestedBy: 'a', requestExpiresAt: now + 1 }), 'a'), held('b'));
    assert.equal(withdrawRequest(held('b', { requestedBy: 'c', requestExpiresAt: now + 1 }), 'a'), undefined);
  });

  it('two engines never both hold a live lease, whatever the row and whoever looks', () => {
    const names = fc.constantFrom('', 'a', 'b', 'c');
    const row = fc.option(fc.record({
      owner: names, ownerProcess: fc.constant('vm/1'), expiresAt: fc.integer({ min: now - 20_000, max: now + 20_000 }),
      requestedBy: names, requestExpiresAt: fc.integer({ min: now - 20_000, max: now + 20_000 }),
    }), { nil: undefined });
    fc.assert(fc.property(row, fc.constantFrom('a', 'b'), fc.boolean(), fc.boolean(), (current, me, holding, mayRequest) => {
      const decision = decideLease(current, view(me, { holding, mayRequest }));
      if (decision.kind === 'take' || decision.kind === 'renew') {
        // Only a free, released or expired lease, or one's own, is written with oneself as owner.
        const free = current === undefined || current.owner === '' || current.owner === me || current.expiresAt <= now;
        assert.ok(free, JSON.stringify({ current, me, decision }));
        assert.equal(decision.next.owner, me);
        assert.ok(decision.next.expiresAt > now);
        // A reservation for another requester is respected.
        if (current?.owner === '' && current.requestedBy !== '' && current.requestedBy !== me) assert.ok(current.expiresAt <= now);
      }
      if (decision.kind === 'request') assert.equal(decision.next.owner, current?.owner);
    }));
  });
});
