import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeKey, trackingTableNames, unescapeKey } from '../../../shared/tracking-store/tracking-store-schema.js';

const awkward = fc.string({ unit: fc.constantFrom('^', '/', '\\', '#', '?', '0', '1', '2', '3', 'a', '🚀', '\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f', 'À', 'ß') });

describe('escapeKey / unescapeKey', () => {
  it('round-trip any instance id', () => {
    fc.assert(fc.property(fc.oneof(awkward, fc.string({ unit: 'binary' })), (id) => {
      assert.equal(unescapeKey(escapeKey(id)), id);
    }), { numRuns: 1000 });
  });

  it('never leave a character that Table keys forbid', () => {
    fc.assert(fc.property(awkward, (id) => {
      // eslint-disable-next-line no-control-regex -- control characters are exactly what must not remain
      assert.doesNotMatch(escapeKey(id), /[/\\#?\u0000-\u001f\u007f-\u009f]/);
    }));
  });

  it('keep distinct ids distinct', () => {
    fc.assert(fc.property(awkward, awkward, (a, b) => {
      fc.pre(a !== b);
      assert.notEqual(escapeKey(a), escapeKey(b));
    }));
  });

  it('escape as DurableTask.AzureStorage does', () => {
    assert.equal(escapeKey('a/b\\c#d?e^f'), 'a^0b^1c^2d^3e^^f');
    assert.equal(unescapeKey('a^0b^1c^2d^3e^^f'), 'a/b\\c#d?e^f');
    assert.equal(escapeKey('plain-id'), 'plain-id');
    assert.equal(escapeKey('line\nbreak\u007f'), 'line^\u00cabreak^\u013f');
    assert.equal(unescapeKey('line^\u00cabreak^\u013f'), 'line\nbreak\u007f');
  });
});

describe('trackingTableNames', () => {
  it('derives both tables from the prefix', () => {
    assert.deepEqual(trackingTableNames('DurableTask'), { instances: 'DurableTaskInstances', history: 'DurableTaskHistory' });
  });
});
