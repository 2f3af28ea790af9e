import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { parsePackageReference, redactUrl } from '../../../../router/releases/package/package-reference.js';

function refusal(reference: string): { code: string; message: string } {
  try {
    parsePackageReference(reference);
  } catch (error) {
    assert.ok(isRouterError(error));
    return { code: error.code, message: error.message };
  }
  assert.fail(`expected ${reference} to be refused`);
}

describe('parsePackageReference', () => {
  it('reads https URLs and absolute paths', () => {
    const url = parsePackageReference('https://packages.example.com/orders/1.2.3.zip?sv=2024&sig=abc');
    assert.equal(url.kind, 'url');
    assert.equal(url.kind === 'url' && url.url.hostname, 'packages.example.com');
    assert.deepEqual(parsePackageReference('/srv/packages/orders-1.2.3.zip'), { kind: 'path', path: '/srv/packages/orders-1.2.3.zip' });
    assert.equal(parsePackageReference('HTTPS://EXAMPLE.COM/a.zip').kind, 'url');
  });

  it('refuses other schemes, pointing at what works', () => {
    for (const reference of ['http://example.com/a.zip', 'file:///srv/a.zip', 'ftp://example.com/a.zip', 'HTTP://127.0.0.1/a.zip']) {
      const error = refusal(reference);
      assert.equal(error.code, 'PACKAGE_NOT_ALLOWED', reference);
      assert.match(error.message, /over https only/);
    }
  });

  it('refuses credentials in the URL, relative and empty paths', () => {
    assert.match(refusal('https://user:pass@example.com/a.zip').message, /pre-signed URL/);
    assert.doesNotMatch(refusal('https://user:pass@example.com/a.zip').message, /pass@/);
    assert.equal(refusal('packages/a.zip').code, 'INVALID_REQUEST');
    assert.match(refusal('./a.zip').message, /is relative; give an absolute path/);
    assert.match(refusal('  ').message, /names no package/);
    assert.equal(refusal('/srv/a\u0000.zip').code, 'INVALID_REQUEST');
  });
});

describe('redactUrl', () => {
  it('hides the query and credentials, keeps where it points', () => {
    assert.equal(redactUrl('https://acct.blob.core.windows.net/pkgs/app.zip?sv=2024&sig=SECRET'), 'https://acct.blob.core.windows.net/pkgs/app.zip?…');
    assert.equal(redactUrl(new URL('https://user:pw@example.com/a.zip')), 'https://example.com/a.zip');
    assert.equal(redactUrl('https://example.com/a.zip'), 'https://example.com/a.zip');
    assert.doesNotMatch(redactUrl('not a url ?sig=SECRET'), /SECRET/);
  });
});
