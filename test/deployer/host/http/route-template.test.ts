import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { compareRoutePrecedence, matchRouteTemplate, parseRouteTemplate } from '../../../../deployer/host/http/route-template.js';

function match(template: string, path: string): Record<string, string> | undefined {
  return matchRouteTemplate(parseRouteTemplate(template), path);
}

describe('route templates', () => {
  it('matches literal segments case-insensitively and ignores one trailing slash', () => {
    assert.deepEqual(match('api/Orders', '/api/orders'), {});
    assert.deepEqual(match('api/orders', '/API/ORDERS/'), {});
    assert.equal(match('api/orders', '/api/order'), undefined);
    assert.equal(match('api/orders', '/api/orders/extra'), undefined);
    assert.equal(match('api/orders', '/api'), undefined);
  });

  it('binds parameters, decoding percent-escapes', () => {
    assert.deepEqual(match('api/orders/{id}', '/api/orders/a%20b'), { id: 'a b' });
    assert.deepEqual(match('api/{a}/{b}', '/api/x/y'), { a: 'x', b: 'y' });
    assert.equal(match('api/orders/{id}', '/api/orders'), undefined);
    assert.equal(match('api/orders/{id}', '/api/orders/%E0%A4%A'), undefined);
  });

  it('lets optional and default parameters be omitted at the end', () => {
    assert.deepEqual(match('api/reports/{year}/{month?}', '/api/reports/2024'), { year: '2024' });
    assert.deepEqual(match('api/reports/{year}/{month?}', '/api/reports/2024/05'), { year: '2024', month: '05' });
    assert.deepEqual(match('api/page/{n=1}', '/api/page'), { n: '1' });
    assert.deepEqual(match('api/page/{n=1}', '/api/page/7'), { n: '7' });
  });

  it('gives a catch-all the rest of the path, possibly empty', () => {
    assert.deepEqual(match('api/files/{*path}', '/api/files/a/b%2Fc/d.txt'), { path: 'a/b/c/d.txt' });
    assert.deepEqual(match('api/files/{**path}', '/api/files'), {});
    assert.deepEqual(match('{*all}', '/anything/at/all'), { all: 'anything/at/all' });
  });

  it('applies constraints', () => {
    assert.deepEqual(match('items/{id:int}', '/items/42'), { id: '42' });
    assert.equal(match('items/{id:int}', '/items/abc'), undefined);
    assert.equal(match('items/{id:int}', '/items/99999999999'), undefined);
    assert.deepEqual(match('items/{id:long}', '/items/99999999999'), { id: '99999999999' });
    assert.deepEqual(match('y/{y:int:range(2000,2100)}', '/y/2024'), { y: '2024' });
    assert.equal(match('y/{y:int:range(2000,2100)}', '/y/1999'), undefined);
    assert.deepEqual(match('n/{name:alpha:minlength(2)}', '/n/ab'), { name: 'ab' });
    assert.equal(match('n/{name:alpha:minlength(2)}', '/n/a'), undefined);
    assert.equal(match('n/{name:alpha}', '/n/a1'), undefined);
    assert.deepEqual(match('g/{id:guid}', '/g/3f2504e0-4f89-11d3-9a0c-0305e82c3301'), { id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' });
    assert.equal(match('g/{id:guid}', '/g/nope'), undefined);
    assert.deepEqual(match('b/{flag:bool}', '/b/TRUE'), { flag: 'TRUE' });
    assert.deepEqual(match('l/{code:length(2,3)}', '/l/abc'), { code: 'abc' });
    assert.equal(match('l/{code:length(2)}', '/l/abc'), undefined);
    assert.deepEqual(match('r/{code:regex(^[a-z]{{2}}-\\d+$)}', '/r/ab-12'), { code: 'ab-12' });
    assert.equal(match('r/{code:regex(^[a-z]{{2}}-\\d+$)}', '/r/abc-12'), undefined);
    assert.deepEqual(match('o/{id:int?}', '/o'), {});
  });

  it('splits complex segments as ASP.NET does (rightmost literal)', () => {
    assert.deepEqual(match('files/{name}.{ext}', '/files/archive.tar.gz'), { name: 'archive.tar', ext: 'gz' });
    assert.deepEqual(match('files/{name}.{ext?}', '/files/readme'), { name: 'readme' });
    assert.deepEqual(match('files/{name}.{ext?}', '/files/readme.md'), { name: 'readme', ext: 'md' });
    assert.deepEqual(match('v{major:int}-{minor}', '/v1-2'), { major: '1', minor: '2' });
    assert.equal(match('v{major:int}-{minor}', '/vx-2'), undefined);
  });

  it('rejects templates ASP.NET rejects, naming the problem', () => {
    for (const [template, fragment] of [
      ['a/{id', 'unclosed'],
      ['a/{*rest}/b', 'catch-all'],
      ['a/{x}{y}', 'separated by a literal'],
      ['a/{id?}/b', 'optional'],
      ['a/{id}/{ID}', 'appears twice'],
      ['a/{id:nosuch}', 'not supported'],
      ['a//b', 'empty segment'],
      ['a/{id:regex(()}', 'does not compile'],
      ['a/{}', 'no valid name'],
    ] as const) {
      assert.throws(
        () => parseRouteTemplate(template),
        (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && error.message.includes(fragment),
        template,
      );
    }
  });

  it('orders literals before constrained parameters before parameters before catch-alls', () => {
    const templates = ['items/{*rest}', 'items/{name}', 'items/{id:int}', 'items/special'].map(parseRouteTemplate);
    const sorted = [...templates].sort(compareRoutePrecedence).map((t) => t.source);
    assert.deepEqual(sorted, ['items/special', 'items/{id:int}', 'items/{name}', 'items/{*rest}']);
  });

  it('round-trips any literal path and any single parameter value (property)', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const path = `/${segments.join('/')}`;
        assert.deepEqual(match(segments.join('/'), path.toUpperCase()), {});
      }),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (value) => {
        assert.deepEqual(match('api/things/{value}', `/api/things/${encodeURIComponent(value)}`), { value });
      }),
    );
  });
});
