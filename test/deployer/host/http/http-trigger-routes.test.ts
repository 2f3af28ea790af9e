import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import type { FunctionDescriptor } from '../../../../deployer/host/host-contracts.js';
import { compileHttpTriggerRoutes, httpTriggerRouteOf } from '../../../../deployer/host/http/http-trigger-routes.js';

function httpFunction(name: string, trigger: Record<string, unknown> = {}): FunctionDescriptor {
  return { name, triggerType: 'httpTrigger', bindings: { httpTrigger1: { type: 'httpTrigger', direction: 'in', ...trigger } } };
}

const activity: FunctionDescriptor = { name: 'act', triggerType: 'activityTrigger', bindings: { t: { type: 'activityTrigger', direction: 'in' } } };

describe('HTTP trigger route table', () => {
  it('defaults the route to the function name under the route prefix', () => {
    const table = compileHttpTriggerRoutes([httpFunction('Hello'), activity], 'api');
    assert.deepEqual(table.routes.map((r) => r.template.source), ['api/Hello']);
    assert.equal(table.match('GET', '/api/hello')?.route.functionName, 'Hello');
    assert.equal(table.match('GET', '/hello'), undefined);
  });

  it('supports an empty route prefix and prefixes with slashes', () => {
    assert.equal(compileHttpTriggerRoutes([httpFunction('a', { route: 'x/{id}' })], '').match('GET', '/x/1')?.params['id'], '1');
    assert.equal(compileHttpTriggerRoutes([httpFunction('a', { route: '/x/' })], '/v1/').match('GET', '/v1/x')?.route.functionName, 'a');
    assert.equal(httpTriggerRouteOf(httpFunction('a', { route: 'orders/{id}' }), 'api'), 'api/orders/{id}');
  });

  it('filters by method, case-insensitively, and allows all methods when none are listed', () => {
    const table = compileHttpTriggerRoutes([httpFunction('w', { methods: ['put', 'DELETE'] }), httpFunction('any')], 'api');
    assert.equal(table.match('PUT', '/api/w')?.route.functionName, 'w');
    assert.equal(table.match('delete', '/api/w')?.route.functionName, 'w');
    assert.equal(table.match('GET', '/api/w'), undefined);
    assert.equal(table.match('PATCH', '/api/any')?.route.functionName, 'any');
  });

  it('prefers the more specific route whatever the registration order', () => {
    const fns = [
      httpFunction('rest', { route: 'items/{*rest}' }),
      httpFunction('byName', { route: 'items/{name}' }),
      httpFunction('byId', { route: 'items/{id:int}' }),
      httpFunction('special', { route: 'items/special' }),
    ];
    for (const order of [fns, [...fns].reverse()]) {
      const table = compileHttpTriggerRoutes(order, 'api');
      assert.equal(table.match('GET', '/api/items/special')?.route.functionName, 'special');
      assert.equal(table.match('GET', '/api/items/7')?.route.functionName, 'byId');
      assert.equal(table.match('GET', '/api/items/seven')?.route.functionName, 'byName');
      assert.equal(table.match('GET', '/api/items/a/b')?.route.functionName, 'rest');
    }
  });

  it('refuses two functions on the same route and methods, naming both', () => {
    assert.throws(
      () => compileHttpTriggerRoutes([httpFunction('one', { route: 'x/{a}' }), httpFunction('two', { route: 'X/{b}', methods: ['GET'] })], 'api'),
      (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && /"one" and "two"/.test(error.message),
    );
    const table = compileHttpTriggerRoutes(
      [httpFunction('reader', { route: 'x', methods: ['GET'] }), httpFunction('writer', { route: 'x', methods: ['POST'] })],
      'api',
    );
    assert.equal(table.match('POST', '/api/x')?.route.functionName, 'writer');
  });

  it('names the function whose route template is invalid', () => {
    assert.throws(
      () => compileHttpTriggerRoutes([httpFunction('broken', { route: 'a/{id' })], 'api'),
      (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && error.message.startsWith('Function "broken"'),
    );
  });
});
