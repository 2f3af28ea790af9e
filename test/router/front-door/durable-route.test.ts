import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RouterError } from '../../../shared/errors/router-error.js';
import { classifyDurableRequest, isProxiedPath, type DurableRequest } from '../../../router/front-door/durable-route.js';

const base = '/runtime/webhooks/durabletask';

function classify(method: string, url: string): DurableRequest {
  const result = classifyDurableRequest(method, url);
  if (result instanceof RouterError) assert.fail(`${method} ${url}: ${result.message}`);
  return result;
}

describe('isProxiedPath', () => {
  it('accepts the api and durable-task prefixes in any case', () => {
    for (const url of ['/api/hello', '/api/', '/api', '/api?x=1', '/API/Hello', `${base}/instances/x`, '/Runtime/Webhooks/DurableTask/orchestrators/A']) {
      assert.ok(isProxiedPath(url), url);
    }
  });

  it('leaves everything else to Fastify', () => {
    for (const url of ['/', '/healthz', '/readyz', '/admin/versions', '/apix', '/api-docs', '/runtime/webhooks/other/x', '/runtime/webhooks/durabletask', 'http://evil/api/x', '*']) {
      assert.ok(!isProxiedPath(url), url);
    }
  });
});

describe('classifyDurableRequest', () => {
  it('knows every call about one instance', () => {
    const calls: Array<[string, string]> = [
      ['GET', `${base}/instances/abc`],
      ['GET', `${base}/instances/abc?showHistory=true&code=k`],
      ['POST', `${base}/instances/abc/raiseEvent/Approval`],
      ['POST', `${base}/instances/abc/terminate?reason=x`],
      ['POST', `${base}/instances/abc/suspend`],
      ['POST', `${base}/instances/abc/resume`],
      ['POST', `${base}/instances/abc/rewind`],
      ['GET', `${base.toUpperCase()}/INSTANCES/abc`],
    ];
    for (const [method, url] of calls) assert.deepEqual(classify(method, url), { kind: 'instance', instanceId: 'abc', purge: false }, url);
  });

  it('marks a purge by id', () => {
    assert.deepEqual(classify('DELETE', `${base}/instances/abc`), { kind: 'instance', instanceId: 'abc', purge: true });
    assert.deepEqual(classify('DELETE', `${base}/instances/abc/?code=k`), { kind: 'instance', instanceId: 'abc', purge: true });
    assert.deepEqual(classify('POST', `${base}/instances/abc/terminate`), { kind: 'instance', instanceId: 'abc', purge: false });
  });

  it('decodes percent-encoded instance ids', () => {
    assert.deepEqual(classify('GET', `${base}/instances/order%2F7%20b`), { kind: 'instance', instanceId: 'order/7 b', purge: false });
    const error = classifyDurableRequest('GET', `${base}/instances/%E0%A4%A`);
    assert.ok(error instanceof RouterError && error.code === 'INVALID_REQUEST');
  });

  it('treats queries over many instances as ordinary calls', () => {
    for (const url of [`${base}/instances`, `${base}/instances/`, `${base}/instances?runtimeStatus=Running`, `${base}/instances/?top=5`]) {
      assert.deepEqual(classify('GET', url), { kind: 'other' }, url);
    }
    assert.deepEqual(classify('DELETE', `${base}/instances?createdTimeFrom=2020-01-01`), { kind: 'other' });
  });

  it('knows a start, with or without a client-chosen id', () => {
    assert.deepEqual(classify('POST', `${base}/orchestrators/Hello`), { kind: 'start', instanceId: undefined });
    assert.deepEqual(classify('POST', `${base}/orchestrators/Hello?code=k`), { kind: 'start', instanceId: undefined });
    assert.deepEqual(classify('POST', `${base}/orchestrators/Hello/`), { kind: 'start', instanceId: undefined });
    assert.deepEqual(classify('POST', `${base}/orchestrators/Hello/order-7`), { kind: 'start', instanceId: 'order-7' });
    assert.deepEqual(classify('POST', `${base}/Orchestrators/Hello/order%2D7/`), { kind: 'start', instanceId: 'order-7' });
  });

  it('does not mistake other calls for starts', () => {
    assert.deepEqual(classify('GET', `${base}/orchestrators/Hello/x`), { kind: 'other' });
    assert.deepEqual(classify('POST', `${base}/orchestrators/Hello/x/y`), { kind: 'other' });
    assert.deepEqual(classify('POST', `${base}/orchestrators`), { kind: 'other' });
    assert.deepEqual(classify('POST', `${base}/entities/Counter/k?op=add`), { kind: 'other' });
    assert.deepEqual(classify('POST', '/api/orchestrators/Hello/x'), { kind: 'other' });
    assert.deepEqual(classify('GET', '/api/instances/abc'), { kind: 'other' });
  });

  it('round-trips any instance id through encodeURIComponent', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (id) => {
      const encoded = encodeURIComponent(id);
      assert.deepEqual(classify('GET', `${base}/instances/${encoded}/raiseEvent/e`), { kind: 'instance', instanceId: id, purge: false });
      assert.deepEqual(classify('POST', `${base}/orchestrators/Hello/${encoded}`), { kind: 'start', instanceId: id });
    }));
  });
});
