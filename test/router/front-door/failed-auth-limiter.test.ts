import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedAuthLimiter } from '../../../router/front-door/failed-auth-limiter.js';

describe('failed admin authentications, limited per client', () => {
  const limits = { maxFailures: 3, windowMs: 60_000, maxClients: 2 };

  it('lets a client fail up to the limit, then refuses it until the window of those failures has passed', () => {
    let now = 1_000_000;
    const limiter = new FailedAuthLimiter(limits, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfterMs('10.0.0.1'), 0);
      limiter.recordFailure('10.0.0.1');
      now += 1_000;
    }
    assert.equal(limiter.retryAfterMs('10.0.0.1'), 57_000, 'until the first of the three failures is a minute old');
    assert.equal(limiter.retryAfterMs('10.0.0.2'), 0, 'another client is not affected');
    now += 57_000;
    assert.equal(limiter.retryAfterMs('10.0.0.1'), 0);
  });

  it('forgets the least recently failing clients beyond its bound', () => {
    const now = 5_000;
    const limiter = new FailedAuthLimiter(limits, () => now);
    for (let i = 0; i < 3; i++) limiter.recordFailure('a');
    for (let i = 0; i < 3; i++) limiter.recordFailure('b');
    assert.ok(limiter.retryAfterMs('a') > 0);
    for (let i = 0; i < 3; i++) limiter.recordFailure('c');
    assert.equal(limiter.retryAfterMs('a'), 0, 'a is forgotten');
    assert.ok(limiter.retryAfterMs('b') > 0 && limiter.retryAfterMs('c') > 0);
  });
});
