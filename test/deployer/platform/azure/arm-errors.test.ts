import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestError } from '@azure/core-rest-pipeline';
import { pino } from 'pino';
import { normalisedArmErrorBody, parseArmErrorBody } from '../../../../deployer/platform/azure/arm-error-body.js';
import { armFailure } from '../../../../deployer/platform/azure/arm-errors.js';
import { redactSecrets } from '../../../../deployer/platform/azure/secret-redaction.js';

describe('ARM error bodies', () => {
  it('reads the spec\'s envelope and the unwrapped PascalCase form', () => {
    assert.deepEqual(parseArmErrorBody('{"error":{"code":"Conflict","message":"Site exists.","target":null}}'), { code: 'Conflict', message: 'Site exists.' });
    assert.deepEqual(parseArmErrorBody('{"Code":"BadRequest","Message":"Properties object is not present in the request body.","Target":null,"Details":[]}'), {
      code: 'BadRequest', message: 'Properties object is not present in the request body.',
    });
    assert.deepEqual(parseArmErrorBody('{"Code":"BadRequest","Message":null,"Details":[{"Message":"The parameter is invalid."},{"Code":"BadRequest"}]}'), {
      code: 'BadRequest', message: 'The parameter is invalid.',
    });
    for (const notAnError of [undefined, '', 'not json', '[]', '{"value":[]}']) assert.equal(parseArmErrorBody(notAnError), undefined, notAnError);
  });

  it('rewrites only the unwrapped form into the envelope', () => {
    assert.equal(normalisedArmErrorBody('{"Code":"BadRequest","Message":"Nope."}'), '{"error":{"code":"BadRequest","message":"Nope."}}');
    assert.equal(normalisedArmErrorBody('{"error":{"code":"Conflict","message":"x"}}'), undefined);
    assert.equal(normalisedArmErrorBody('<html>'), undefined);
  });
});

describe('armFailure', () => {
  it('carries ARM\'s code and message, the status and the operation', () => {
    const error = armFailure(new RestError('The resource group is locked.', { statusCode: 409, code: 'ScopeLocked' }), 'WebApps_CreateOrUpdate', 'dr-a');
    assert.equal(error.code, 'PLATFORM_OPERATION_FAILED');
    assert.equal(error.message, 'Azure Resource Manager refused WebApps_CreateOrUpdate for the app "dr-a" (HTTP 409 ScopeLocked): The resource group is locked.');
    assert.deepEqual(error.details, { operation: 'WebApps_CreateOrUpdate', appName: 'dr-a', status: 409, armCode: 'ScopeLocked' });
  });

  it('says when the retries ran out, and when ARM was not reached', () => {
    assert.match(armFailure(new RestError('Too many requests', { statusCode: 429, code: 'TooManyRequests' }), 'WebApps_Get').message, /HTTP 429 TooManyRequests, still after the retries/);
    assert.match(armFailure(new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), 'WebApps_Get').message, /could not be reached for WebApps_Get \(ECONNREFUSED\)/);
  });

  it('never passes on a signature, a key or a token', () => {
    const text = 'GET https://acct.blob.core.windows.net/c/b.zip?sv=2024&sig=abc%2Bdef&se=x failed; AccountKey=AAAA==;x Bearer eyJ0eXAi.payload.sig';
    assert.equal(redactSecrets(text), 'GET https://acct.blob.core.windows.net/c/b.zip?sv=2024&sig=[redacted]&se=x failed; AccountKey=[redacted];x Bearer [redacted]');
    assert.doesNotMatch(armFailure(new RestError(text, { statusCode: 400 }), 'X').message, /abc%2Bdef|AAAA|eyJ0/);
  });

  it('keeps a redacted cause, so that a log printing causes prints no secret either', () => {
    const text = 'PUT https://acct.blob.core.windows.net/c/b.zip?sig=abc%2Bdef&code=ZZZ failed';
    for (const failure of [armFailure(new RestError(text, { statusCode: 400 }), 'X'), armFailure(new Error(text), 'Y'), armFailure(new RestError(text, { code: 'ECONNRESET' }), 'Z')]) {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
      logger.error({ err: failure }, 'failed');
      assert.equal(lines.length, 1);
      assert.doesNotMatch(lines[0] as string, /abc%2Bdef|ZZZ/, lines[0]);
      assert.match(lines[0] as string, /sig=\[redacted\]/);
    }
  });
});
