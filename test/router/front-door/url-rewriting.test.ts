import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compileAppUrlPattern, isRewritableJson, publicBaseUrl, rewriteJsonBody, rewriteUrlText,
} from '../../../router/front-door/url-rewriting.js';

const app = compileAppUrlPattern('http://127.0.0.1:7101');
const router = 'https://router.example.com';

describe('rewriteJsonBody', () => {
  it('points every management URL of a start response at the router', () => {
    const appBase = 'http://127.0.0.1:7101/runtime/webhooks/durabletask/instances/abc';
    const payload = {
      id: 'abc',
      statusQueryGetUri: `${appBase}?taskHub=Hub12&connection=Storage&code=k`,
      sendEventPostUri: `${appBase}/raiseEvent/{eventName}?taskHub=Hub12&connection=Storage&code=k`,
      terminatePostUri: `${appBase}/terminate?reason={text}&taskHub=Hub12&connection=Storage&code=k`,
      purgeHistoryDeleteUri: `${appBase}?taskHub=Hub12&connection=Storage&code=k`,
      suspendPostUri: `${appBase}/suspend?reason={text}`,
      resumePostUri: `${appBase}/resume?reason={text}`,
    };
    const out = JSON.parse(rewriteJsonBody(Buffer.from(JSON.stringify(payload)), app, router).toString()) as Record<string, string>;
    for (const [key, value] of Object.entries(payload)) {
      assert.equal(out[key], key === 'id' ? 'abc' : value.replace('http://127.0.0.1:7101', router), key);
    }
  });

  it('rewrites JSON-escaped URLs too', () => {
    const body = Buffer.from('{"u":"http:\\/\\/127.0.0.1:7101\\/runtime\\/x"}');
    assert.equal(rewriteJsonBody(body, app, router).toString(), '{"u":"https:\\/\\/router.example.com\\/runtime\\/x"}');
  });

  it('returns the same buffer when the body names no app URL', () => {
    const body = Buffer.from('{"u":"http://127.0.0.1:7102/x","v":"http://127.0.0.1:71011/y"}');
    assert.equal(rewriteJsonBody(body, app, router), body);
  });

  it('replaces only the whole app origin, never a longer host, port or label', () => {
    const text = [
      'http://127.0.0.1:7101', 'http://127.0.0.1:7101/a', 'http://127.0.0.1:7101?q', 'http://127.0.0.1:71011/a',
      'http://127.0.0.1:7101.evil/a', 'https://127.0.0.1:7101/a', 'http://127.0.0.1:7101-x',
    ].join(' ');
    assert.equal(rewriteUrlText(text, app, router), [
      router, `${router}/a`, `${router}?q`, 'http://127.0.0.1:71011/a', 'http://127.0.0.1:7101.evil/a', 'https://127.0.0.1:7101/a', 'http://127.0.0.1:7101-x',
    ].join(' '));
  });

  it('handles an app behind a path prefix and a default port', () => {
    const prefixed = compileAppUrlPattern('https://apps.example.com:443/v12/');
    assert.equal(prefixed.base, 'https://apps.example.com/v12');
    assert.equal(rewriteUrlText('https://apps.example.com/v12/runtime/x https://apps.example.com/v120/y', prefixed, router),
      `${router}/runtime/x https://apps.example.com/v120/y`);
  });

  it('keeps multi-byte text intact', () => {
    const body = Buffer.from('{"name":"Grüße ✓","u":"http://127.0.0.1:7101/x"}');
    assert.equal(rewriteJsonBody(body, app, router).toString(), '{"name":"Grüße ✓","u":"https://router.example.com/x"}');
  });

  it('leaves no app URL behind and changes nothing else, by property', () => {
    const filler = fc.string({ unit: fc.constantFrom('a', ' ', '"', '/', ':', '1', 'h', 'é', '.') });
    const suffix = fc.constantFrom('/runtime/x', '?code=1', '"', '/', ' ', '#f');
    fc.assert(fc.property(fc.array(fc.tuple(filler, suffix)), (parts) => {
      const original = parts.map(([text, end]) => `${text} http://127.0.0.1:7101${end}`).join('');
      const expected = parts.map(([text, end]) => `${text} ${router}${end}`).join('');
      assert.equal(rewriteUrlText(original, app, router), expected);
    }));
  });
});

describe('publicBaseUrl', () => {
  it('prefers the configured URL', () => {
    assert.equal(publicBaseUrl('https://r.example.com/base', 'evil', undefined, undefined, 'http'), 'https://r.example.com/base');
  });

  it('derives the base from forwarded headers, then Host', () => {
    assert.equal(publicBaseUrl(undefined, '10.0.0.1:7070', 'router.example.com, proxy2', 'https, http', 'http'), 'https://router.example.com');
    assert.equal(publicBaseUrl(undefined, '127.0.0.1:7070', undefined, undefined, 'http'), 'http://127.0.0.1:7070');
    assert.equal(publicBaseUrl(undefined, '[::1]:7070', undefined, 'gopher', 'http'), 'http://[::1]:7070');
  });

  it('refuses hosts that could inject text into a rewritten body', () => {
    for (const host of ['a"b', 'a/b', 'a b', '', 'a\\b', 'user@host']) assert.equal(publicBaseUrl(undefined, host, undefined, undefined, 'http'), undefined, host);
    assert.equal(publicBaseUrl(undefined, undefined, undefined, undefined, 'http'), undefined);
  });
});

describe('isRewritableJson', () => {
  it('accepts JSON media types without a content coding', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/problem+json', 'text/json']) {
      assert.ok(isRewritableJson(type, undefined), type);
    }
    assert.ok(isRewritableJson('application/json', 'identity'));
  });

  it('refuses other types and compressed bodies', () => {
    for (const type of [undefined, 'text/plain', 'application/jsonx', 'application/octet-stream', 'text/html; x=application/json']) {
      assert.ok(!isRewritableJson(type, undefined), String(type));
    }
    assert.ok(!isRewritableJson('application/json', 'gzip'));
  });
});
