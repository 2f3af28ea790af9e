import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { appNameProblem, assertProvisionRequest, assertSettings } from '../../../deployer/platform/platform-input.js';

function refusal(action: () => void): string {
  try {
    action();
  } catch (error) {
    assert.ok(isRouterError(error), `expected a RouterError, got ${String(error)}`);
    return `${error.code}: ${error.message}`;
  }
  assert.fail('expected a refusal');
}

describe('app names', () => {
  it('accepts what Azure accepts, lower-cased', () => {
    for (const name of ['ab', 'dr-1x2', 'orders-app-1x10', 'a1', '1a', 'a'.repeat(60)]) assert.equal(appNameProblem(name), undefined, name);
  });
  it('refuses the rest, naming the rule', () => {
    for (const name of ['a', '', '-ab', 'ab-', 'Ab', 'a_b', 'a.b', 'a b', 'a'.repeat(61), '../x', 'ä1']) {
      assert.match(appNameProblem(name) ?? '', /not a valid app name: use 2 to 60 lower-case letters, digits and hyphens/, name);
    }
  });
  it('agrees with the rule written out: 2-60 of [a-z0-9-], no hyphen at either end', () => {
    const alphabet = fc.constantFrom(...'abz09-A_.'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 0, maxLength: 64 }), (characters) => {
        const name = characters.join('');
        const expected =
          name.length >= 2 && name.length <= 60 && /^[a-z0-9-]+$/.test(name) && !name.startsWith('-') && !name.endsWith('-');
        assert.equal(appNameProblem(name) === undefined, expected, name);
      }),
    );
  });
});

describe('provision requests', () => {
  const valid = { appName: 'dr-1x2', routeKey: '1.2', version: '1.2.3' };
  it('accepts a request with ordinary tags', () => {
    assertProvisionRequest({ ...valid, tags: { release: 'r-42', 'team.name': 'orders' } });
  });
  it('refuses a version of another route key, and malformed versions', () => {
    assert.match(refusal(() => assertProvisionRequest({ ...valid, version: '1.3.0' })), /INVALID_REQUEST: The version 1.3.0 does not belong to the route key 1.2/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, version: 'v1.2.3' })), /^INVALID_VERSION/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, routeKey: '1.2.3' })), /^INVALID_VERSION/);
  });
  it('refuses the tags the platform keeps, and malformed tags', () => {
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: { 'managed-by': 'me' } })), /"managed-by" is kept by the platform/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: { Version: '9' } })), /"Version" is kept by the platform/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: { 'a/b': 'x' } })), /not a valid tag name/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: { note: 'x'.repeat(257) } })), /at most 256 characters/);
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: { note: 'line\nbreak' } })), /without control characters/);
    const many = Object.fromEntries(Array.from({ length: 41 }, (_, index) => [`t${index}`, 'x']));
    assert.match(refusal(() => assertProvisionRequest({ ...valid, tags: many })), /at most 40 tags/);
  });
});

describe('settings', () => {
  it('accepts Linux app setting names', () => {
    assertSettings({ AzureWebJobsStorage: 'x', AzureFunctionsJobHost__extensions__durableTask__hubName: 'h', 'a.b': '', WEBSITE_RUN_FROM_PACKAGE: '1' });
  });
  it('refuses other names, and never echoes a value', () => {
    const secret = 'AccountKey=very-secret';
    assert.match(refusal(() => assertSettings({ 'bad-name': secret })), /"bad-name" is not a valid app setting name/);
    assert.match(refusal(() => assertSettings({ 'a:b': secret })), /not a valid app setting name/);
    assert.match(refusal(() => assertSettings({ '': secret })), /not a valid app setting name/);
    const nul = refusal(() => assertSettings({ Storage: `${secret}\u0000` }));
    assert.match(nul, /"Storage" must be a string without NUL/);
    assert.doesNotMatch(nul, /very-secret/);
  });
});
