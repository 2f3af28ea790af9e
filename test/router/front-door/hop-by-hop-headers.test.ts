import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  downstreamResponseHeaders, upstreamRequestHeaders, type AppResponseFacts, type ClientRequestFacts,
} from '../../../router/front-door/hop-by-hop-headers.js';

const hopByHop = ['Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Transfer-Encoding', 'Upgrade', 'Trailer'];

function requestFacts(): ClientRequestFacts {
  return { appVersion: undefined, host: undefined, forwardedHost: undefined, forwardedProto: undefined, hasBody: false, requestLength: -1, functionsKey: undefined };
}

function responseFacts(): AppResponseFacts {
  return { contentType: undefined, contentEncoding: undefined, contentLength: -1, locationIndex: -1 };
}

function pairs(headers: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < headers.length; i += 2) out.push([headers[i] as string, headers[i + 1] as string]);
  return out;
}

function names(headers: readonly string[]): string[] {
  return pairs(headers).map(([name]) => name.toLowerCase());
}

const adminValue = 'Bearer the-admin-key-1234567';
const isAdmin = (value: string): boolean => value === adminValue;

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop fields and the fields Connection names, and keeps end-to-end ones', () => {
    const facts = requestFacts();
    const out = upstreamRequestHeaders([
      'Host', 'router.example', 'Connection', 'keep-alive, X-Session-Token', 'Keep-Alive', 'timeout=5',
      'TE', 'trailers', 'Upgrade', 'h2c', 'Proxy-Connection', 'keep-alive', 'Trailer', 'Expires', 'Expect', '100-continue',
      'Proxy-Authorization', 'Basic abc', 'X-Session-Token', 'secret', 'Accept', 'application/json', 'Cookie', 'a=1',
    ], '10.0.0.9', 'http', isAdmin, facts);
    assert.deepEqual(pairs(out), [
      ['Accept', 'application/json'], ['Cookie', 'a=1'],
      ['x-forwarded-for', '10.0.0.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'router.example'],
    ]);
    assert.equal(facts.host, 'router.example');
  });

  const forwarded = [
    'host', 'internal:7070', 'x-forwarded-for', '203.0.113.7', 'X-Forwarded-For', '10.1.1.1',
    'x-forwarded-proto', 'https', 'x-forwarded-host', 'router.example.com',
  ];

  it('from a trusted proxy: appends the peer to x-forwarded-for and keeps the first proxy\'s proto and host', () => {
    const facts = requestFacts();
    const out = upstreamRequestHeaders(forwarded, '10.0.0.9', 'http', isAdmin, facts, true);
    assert.deepEqual(pairs(out), [
      ['x-forwarded-for', '203.0.113.7, 10.1.1.1, 10.0.0.9'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'router.example.com'],
    ]);
    assert.equal(facts.forwardedHost, 'router.example.com');
  });

  it('from anyone else: drops the client\'s x-forwarded-* and says what the router saw', () => {
    const facts = requestFacts();
    const out = upstreamRequestHeaders(forwarded, '198.51.100.4', 'http', isAdmin, facts);
    assert.deepEqual(pairs(out), [
      ['x-forwarded-for', '198.51.100.4'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'internal:7070'],
    ]);
    assert.equal(facts.forwardedHost, undefined);
    assert.equal(facts.forwardedProto, undefined);
  });

  it('never forwards the admin key, but forwards the apps\' own Authorization', () => {
    const admin = upstreamRequestHeaders(['Authorization', adminValue], undefined, 'http', isAdmin, requestFacts());
    assert.ok(!names(admin).includes('authorization'));
    const own = upstreamRequestHeaders(['Authorization', 'Bearer app-token'], undefined, 'http', isAdmin, requestFacts());
    assert.deepEqual(pairs(own)[0], ['Authorization', 'Bearer app-token']);
  });

  it('notes the version header and whether a body follows', () => {
    const get = requestFacts();
    upstreamRequestHeaders(['x-app-version', '1.2', 'content-length', '0'], undefined, 'http', isAdmin, get);
    assert.equal(get.appVersion, '1.2');
    assert.equal(get.hasBody, false);
    const post = requestFacts();
    assert.deepEqual(pairs(upstreamRequestHeaders(['Content-Length', '12'], undefined, 'http', isAdmin, post))[0], ['Content-Length', '12']);
    assert.equal(post.hasBody, true);
    const chunked = requestFacts();
    const out = upstreamRequestHeaders(['Transfer-Encoding', 'chunked'], undefined, 'http', isAdmin, chunked);
    assert.equal(chunked.hasBody, true);
    assert.ok(!names(out).includes('transfer-encoding'));
    const twice = requestFacts();
    upstreamRequestHeaders(['x-app-version', '1.2', 'X-App-Version', '1.3'], undefined, 'http', isAdmin, twice);
    assert.equal(twice.appVersion, '1.2, 1.3', 'two version headers make an invalid version, not a silent choice');
  });

  it('never lets a hop-by-hop field through, by property', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
    fc.assert(fc.property(fc.array(fc.tuple(fc.oneof(token, fc.constantFrom(...hopByHop)), token)), token, (headers, listed) => {
      const raw = [...headers.flat(), 'Connection', listed];
      const out = upstreamRequestHeaders(raw, '1.2.3.4', 'http', isAdmin, requestFacts());
      const sent = names(out);
      for (const name of [...hopByHop, listed]) {
        if (['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'].includes(name.toLowerCase())) continue;
        assert.ok(!sent.includes(name.toLowerCase()), `${name} was forwarded`);
      }
      assert.ok(!sent.includes('host'));
    }));
  });
});

describe('downstreamResponseHeaders', () => {
  const raw = (...values: string[]): Buffer[] => values.map((value) => Buffer.from(value, 'latin1'));

  it('drops hop-by-hop fields, keeps the rest as sent, and adds x-routed-version', () => {
    const facts = responseFacts();
    const out = downstreamResponseHeaders(raw(
      'Content-Type', 'application/json', 'Connection', 'keep-alive, X-Internal', 'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked', 'Trailer', 'X-Checksum', 'X-Internal', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2',
      'Proxy-Authenticate', 'Basic', 'x-routed-version', 'spoofed', 'Location', 'http://app/x', 'Content-Length', '42',
    ), '1.2.3', facts);
    assert.deepEqual(pairs(out), [
      ['Content-Type', 'application/json'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'],
      ['Location', 'http://app/x'], ['Content-Length', '42'], ['x-routed-version', '1.2.3'],
    ]);
    assert.deepEqual(facts, { contentType: 'application/json', contentEncoding: undefined, contentLength: 42, locationIndex: 7 });
    assert.equal(out[facts.locationIndex], 'http://app/x');
  });

  it('keeps bytes beyond ASCII exactly (latin1 round trip)', () => {
    const value = Buffer.from([0x66, 0xe9, 0xff]);
    const out = downstreamResponseHeaders([Buffer.from('x-name'), value], '1.0.0', responseFacts());
    assert.deepEqual(Buffer.from(out[1] as string, 'latin1'), value);
  });

  it('finds Location again when Connection removed a field before it', () => {
    const facts = responseFacts();
    const out = downstreamResponseHeaders(raw('X-A', '1', 'Location', '/next', 'Connection', 'x-a'), '1.0.0', facts);
    assert.equal(out[facts.locationIndex], '/next');
  });
});
