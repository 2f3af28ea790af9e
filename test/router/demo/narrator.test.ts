import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { wrap } from '../../../router/demo/narrator.js';

describe('wrap', () => {
  it('keeps every word, in order, on indented lines no wider than asked (unless one word is)', () => {
    const word = fc.stringMatching(/^[a-z]{1,30}$/);
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 60 }), fc.integer({ min: 20, max: 120 }), (words, width) => {
      const lines = wrap(words.join(' '), width, '   ').split('\n');
      assert.deepEqual(lines.flatMap((line) => line.trim().split(' ')), words);
      for (const line of lines) {
        assert.ok(line.startsWith('   '));
        assert.ok(line.length <= Math.max(width, 3 + 30), line);
      }
    }));
  });

  it('keeps line breaks of the text', () => {
    assert.equal(wrap('one two\nthree', 80, '  '), '  one two\n  three');
  });
});
