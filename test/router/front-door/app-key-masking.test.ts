import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileAppKeyMask, isMaskableBody, maskKeysInBody, maskKeysInText, StreamingKeyMask } from '../../../router/front-door/app-key-masking.js';

const appKeys = { function: 'app-function-key/with+odd=chars', durableTask: 'app-durable-task-key-0123456789abcdef' };
const routerKeys = { function: 'router-function-key-0123', durableApi: 'router-durable-key-0123' };
const mask = compileAppKeyMask(appKeys, routerKeys);

describe('app key masking', () => {
  it('replaces an app\'s keys, as they are and percent-encoded, with the router\'s', () => {
    const text = `a?code=${appKeys.durableTask}&b=${encodeURIComponent(appKeys.function)} and ${appKeys.function}`;
    assert.equal(maskKeysInText(text, mask), `a?code=${routerKeys.durableApi}&b=${routerKeys.function} and ${routerKeys.function}`);
    const body = Buffer.from('{"no":"keys here"}');
    assert.equal(maskKeysInBody(body, mask), body, 'the same buffer when there is nothing to mask');
  });

  it('masks a streamed body exactly as a whole one, however it is cut into chunks', () => {
    const pieces = fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(appKeys.durableTask, appKeys.function, encodeURIComponent(appKeys.function), 'app-durable')), { maxLength: 30 });
    fc.assert(fc.property(pieces, fc.array(fc.nat(200), { maxLength: 12 }), (parts, cuts) => {
      const body = Buffer.from(parts.join(''), 'utf8');
      const positions = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
      const streaming = new StreamingKeyMask(mask);
      const out: Buffer[] = [];
      let from = 0;
      for (const at of [...positions, body.length]) {
        out.push(streaming.push(body.subarray(from, at)));
        from = at;
      }
      out.push(streaming.end());
      assert.equal(Buffer.concat(out).toString('utf8'), maskKeysInBody(body, mask).toString('utf8'));
    }), { numRuns: 300 });
  });

  it('holds back only what could begin a key', () => {
    const streaming = new StreamingKeyMask(mask);
    assert.equal(streaming.push(Buffer.from('data: {"tick":1}\n\n')).toString(), 'data: {"tick":1}\n\n', 'an event goes on at once');
    assert.equal(streaming.push(Buffer.from('code=app-dur')).toString(), 'code=', 'the start of a key waits');
    assert.equal(streaming.push(Buffer.from(`${appKeys.durableTask.slice('app-dur'.length)}&x`)).toString(), `${routerKeys.durableApi}&x`);
    assert.equal(streaming.end().length, 0);
  });

  it('masks text bodies that are not compressed', () => {
    for (const type of ['application/json', 'application/problem+json; charset=utf-8', 'text/plain', 'text/html; charset=utf-8', 'application/xml', undefined]) {
      assert.ok(isMaskableBody(type, undefined), String(type));
    }
    assert.ok(isMaskableBody('application/json', 'identity'));
    assert.ok(!isMaskableBody('application/json', 'gzip'));
    assert.ok(!isMaskableBody('application/octet-stream', undefined));
    assert.ok(!isMaskableBody('image/png', undefined));
  });
});
