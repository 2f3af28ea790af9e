import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  fromRpcHttpResponse,
  httpResponseData,
  InvalidHttpResponseError,
  serializeCookie,
  toRpcHttpRequest,
} from '../../../../deployer/host/http/rpc-http-conversion.js';

describe('RPC HTTP conversion', () => {
  it('carries method, URL, headers, route params and the body as bytes', () => {
    const body = Buffer.from([0, 255, 1, 254]);
    const data = toRpcHttpRequest({
      method: 'post',
      url: 'http://127.0.0.1:7071/api/x?a=1&a=2',
      headers: { 'content-type': 'application/octet-stream', 'x-many': ['a', 'b'], 'x-none': undefined },
      body,
      params: { id: '7' },
    });
    assert.equal(data.http?.method, 'POST');
    assert.equal(data.http?.url, 'http://127.0.0.1:7071/api/x?a=1&a=2');
    assert.deepEqual(data.http?.headers, { 'content-type': 'application/octet-stream', 'x-many': 'a, b' });
    assert.deepEqual(data.http?.params, { id: '7' });
    assert.deepEqual(Buffer.from(data.http?.body?.bytes ?? []), body);
    assert.equal(data.http?.query, undefined, 'the query is read from the URL so repeated keys survive');
  });

  it('sends no body for an empty one', () => {
    assert.equal(toRpcHttpRequest({ method: 'GET', url: 'http://h/', headers: {}, body: Buffer.alloc(0), params: {} }).http?.body, null);
  });

  it('converts a response: status, headers (minus framing ones), cookies and bytes', () => {
    const response = fromRpcHttpResponse({
      http: {
        statusCode: '201',
        headers: { 'Content-Type': 'image/png', 'content-length': '999', 'x-a': '1' },
        cookies: [{ name: 's', value: 'v', httpOnly: { value: true }, sameSite: 'strict' }],
        body: { bytes: new Uint8Array([1, 2, 3]) },
      },
    });
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers, { 'content-type': 'image/png', 'x-a': '1', 'set-cookie': ['s=v; HttpOnly; SameSite=Strict'] });
    assert.deepEqual(response.body, Buffer.from([1, 2, 3]));
  });

  it('answers 200 with no body when the function set no response', () => {
    assert.deepEqual(fromRpcHttpResponse(undefined), { status: 200, headers: {}, body: Buffer.alloc(0) });
  });

  it('refuses a status outside 100..599 and a non-HTTP output', () => {
    assert.throws(() => fromRpcHttpResponse({ http: { statusCode: '42' } }), InvalidHttpResponseError);
    assert.throws(() => fromRpcHttpResponse({ http: { statusCode: 'abc' } }), InvalidHttpResponseError);
    assert.throws(() => fromRpcHttpResponse({ string: 'hello' }), InvalidHttpResponseError);
  });

  it('serializes every cookie attribute', () => {
    const text = serializeCookie({
      name: 'id',
      value: 'x1',
      domain: { value: 'example.com' },
      path: { value: '/app' },
      expires: { value: { seconds: 0 } },
      maxAge: { value: 60 },
      secure: { value: true },
      httpOnly: { value: false },
      sameSite: 'explicitNone',
    });
    assert.equal(text, 'id=x1; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; Secure; SameSite=None');
    assert.equal(serializeCookie({ name: 'a', value: 'b', sameSite: 'none' }), 'a=b');
  });

  it('finds the response in $return or in a named http output', () => {
    const http = { http: { statusCode: '204' } };
    assert.equal(httpResponseData({ $return: { type: 'http', direction: 'out' } }, { returnValue: http }), http);
    assert.equal(
      httpResponseData({ res: { type: 'http', direction: 'out' } }, { returnValue: { string: 'x' }, outputData: [{ name: 'res', data: http }] }),
      http,
    );
    assert.equal(httpResponseData({ t: { type: 'httpTrigger', direction: 'in' } }, { returnValue: http }), undefined);
  });

  it('keeps any body byte-for-byte (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const request = toRpcHttpRequest({ method: 'PUT', url: 'http://h/', headers: {}, body: Buffer.from(bytes), params: {} });
        const echoed = fromRpcHttpResponse({ http: { statusCode: '200', body: request.http?.body ?? null } });
        assert.deepEqual(new Uint8Array(echoed.body), bytes);
      }),
    );
  });
});
