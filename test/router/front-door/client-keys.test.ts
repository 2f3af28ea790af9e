import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RouterKeyCheck, takeCodeParameters } from '../../../router/front-door/client-keys.js';

describe('takeCodeParameters', () => {
  it('takes every parameter a Functions host reads as `code`, however its name is spelled', () => {
    for (const [url, codes, rest] of [
      ['/api/x?code=k1', ['k1'], '/api/x'],
      ['/api/x?a=1&CODE=k1&b=2', ['k1'], '/api/x?a=1&b=2'],
      ['/api/x?%63ode=k1', ['k1'], '/api/x'],
      ['/api/x?%43%4F%44%45=k1&%63%6f%64%65=k2', ['k1', 'k2'], '/api/x'],
      ['/api/x?code=k1&code=k2', ['k1', 'k2'], '/api/x'],
      ['/api/x?code&a=1', [''], '/api/x?a=1'],
      ['/api/x?code=a%2Bb%3D%3D', ['a+b=='], '/api/x'],
      ['/api/x?code=bad%ZZ&a=%E0', [''], '/api/x?a=%E0'],
      ['/api/x?codes=1&barcode=2&code2=3', [], '/api/x?codes=1&barcode=2&code2=3'],
      ['/api/x', [], '/api/x'],
    ] as const) {
      assert.deepEqual(takeCodeParameters(url), { url: rest, codes }, url);
    }
  });

  it('leaves no parameter that decodes to `code`, and keeps every other one byte for byte', () => {
    const name = fc.oneof(fc.constantFrom('code', 'Code', '%63ode', 'c%6Fde', 'CO%44E', 'a', 'b', 'codex', 'x%20y'), fc.string({ maxLength: 6 }).filter((text) => !/[&=?#]/.test(text)));
    const value = fc.string({ maxLength: 8 }).map((text) => encodeURIComponent(text));
    fc.assert(fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), (parameters) => {
      const query = parameters.map(([n, v]) => `${n}=${v}`).join('&');
      const { url } = takeCodeParameters(`/api/x?${query}`);
      const left = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
      assert.ok(![...left.keys()].some((key) => key.toLowerCase() === 'code'), url);
      const isCode = (n: string): boolean => {
        try {
          return decodeURIComponent(n).toLowerCase() === 'code';
        } catch {
          return false;
        }
      };
      const others = parameters.filter(([n]) => !isCode(n));
      const expected = others.length === parameters.length ? `/api/x?${query}` : others.length === 0 ? '/api/x' : `/api/x?${others.map(([n, v]) => `${n}=${v}`).join('&')}`;
      assert.equal(url, expected);
    }), { numRuns: 500 });
  });
});

describe('RouterKeyCheck', () => {
  const check = new RouterKeyCheck({ function: 'router-function-key-0123', durableApi: 'router-durable-key-0123' });

  it('says which router key was presented, the header before the query', () => {
    assert.equal(check.presented(undefined, ['router-durable-key-0123']), 'durable-api');
    assert.equal(check.presented('router-function-key-0123', ['router-durable-key-0123']), 'function');
    assert.equal(check.presented(undefined, []), 'none');
    assert.equal(check.presented('an-app-key-or-a-guess', []), 'none');
    assert.equal(check.presented(undefined, ['router-durable-key-012']), 'none');
  });
});
