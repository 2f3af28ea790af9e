import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCatalogue } from '../../../shared/errors/error-catalogue.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { routerErrorOf, routerErrorOfClientError } from '../../../shared/http/parser-rejections.js';

function fastifyError(code: string, statusCode: number, message = 'fastify says'): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('parser rejections', () => {
  it('gives each of Node\'s parser errors its catalogue code and status', () => {
    const cases: [string, string, number][] = [
      ['HPE_HEADER_OVERFLOW', 'HEADERS_TOO_LARGE', 431],
      ['ERR_HTTP_REQUEST_TIMEOUT', 'REQUEST_TIMEOUT', 408],
      ['HPE_INVALID_METHOD', 'INVALID_REQUEST', 400],
      ['HPE_INVALID_HEADER_TOKEN', 'INVALID_REQUEST', 400],
    ];
    for (const [nodeCode, code, status] of cases) {
      const error = routerErrorOfClientError(Object.assign(new Error('parse error'), { code: nodeCode }));
      assert.equal(error.code, code, nodeCode);
      assert.equal(error.status, status, nodeCode);
      assert.equal(errorCatalogue[error.code].status, status);
    }
  });

  it('gives Fastify\'s own refusals catalogue codes, with messages a user can act on', () => {
    const cases: [Error, string, number][] = [
      [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'PAYLOAD_TOO_LARGE', 413],
      [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'UNSUPPORTED_MEDIA_TYPE', 415],
      [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'INVALID_REQUEST', 400],
      [fastifyError('FST_ERR_BAD_URL', 400), 'INVALID_REQUEST', 400],
      [fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414), 'URL_TOO_LONG', 414],
      [Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 }), 'INVALID_REQUEST', 400],
    ];
    for (const [input, code, status] of cases) {
      const error = routerErrorOf(input);
      assert.equal(error.code, code, input.message);
      assert.equal(error.status, status, input.message);
      assert.doesNotMatch(JSON.stringify(error.toJSON()), /FST_ERR|statusCode/, 'the error shape only');
    }
    assert.match(routerErrorOf(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).message, /not valid JSON/);
  });

  it('keeps a RouterError as it is and hides anything else as INTERNAL', () => {
    const own = new RouterError('VERSION_NOT_FOUND');
    assert.equal(routerErrorOf(own), own);
    assert.equal(routerErrorOf(new Error('secret detail')).code, 'INTERNAL');
    assert.equal(routerErrorOf(fastifyError('FST_ERR_SOMETHING', 500)).code, 'INTERNAL');
  });
});
