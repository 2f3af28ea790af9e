import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { decodeInstanceCursor, encodeInstanceCursor, instanceQueryFilter } from '../../../shared/tracking-store/instance-query.js';

describe('instanceQueryFilter', () => {
  it('asks for the task hubs only when nothing else is given', () => {
    assert.equal(instanceQueryFilter({ taskHubs: ['HubA'], top: 10 }), "TaskHubName eq 'HubA'");
    assert.equal(instanceQueryFilter({ taskHubs: ['HubA', 'HubB'], top: 10 }), "(TaskHubName eq 'HubA' or TaskHubName eq 'HubB')");
  });

  it('joins every criterion with and, statuses with or, and quotes values', () => {
    const filter = instanceQueryFilter({
      taskHubs: ["Hub'A"], statuses: ['Running', 'Pending'], name: "it's", top: 10,
      createdFrom: new Date('2026-05-01T10:00:00.000Z'), createdTo: new Date('2026-05-02T10:00:00.000Z'),
    });
    assert.equal(filter, "TaskHubName eq 'Hub''A' and (RuntimeStatus eq 'Running' or RuntimeStatus eq 'Pending') and Name eq 'it''s'"
      + " and CreatedTime ge datetime'2026-05-01T10:00:00.000Z' and CreatedTime le datetime'2026-05-02T10:00:00.000Z'");
  });
});

describe('instance cursors', () => {
  it('round-trip any keys through a URL-safe token', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), fc.option(fc.string({ minLength: 1 }), { nil: undefined }), (partitionKey, rowKey) => {
      const token = encodeInstanceCursor({ partitionKey, rowKey });
      assert.match(token, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeInstanceCursor(token), rowKey === undefined ? { partitionKey } : { partitionKey, rowKey });
    }));
  });

  it('refuse what is not a token the router gave out', () => {
    const forged = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const token of ['', 'not base64 json!', forged({ nextPartitionKey: 'a' }), forged([]), forged(['']), forged(['a', 'b', 'c']), forged([1])]) {
      assert.throws(() => decodeInstanceCursor(token), (error) => isRouterError(error, 'INVALID_REQUEST') && /continuation token/.test(error.message), token);
    }
  });
});
