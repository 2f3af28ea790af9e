import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PollBackoff } from '../../../../deployer/platform/azure/poll-backoff.js';

describe('PollBackoff', () => {
  it('starts at the interval and waits half as long again each time, up to eight times the interval', () => {
    const backoff = new PollBackoff(1_000);
    assert.deepEqual(Array.from({ length: 8 }, () => backoff.next()), [1_000, 1_500, 2_250, 3_375, 5_063, 7_595, 8_000, 8_000]);
  });
});
