import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePackageStorage } from '../../../../deployer/platform/azure/package-storage-account.js';

const key = 'a2V5LXZhbHVl';

describe('package storage connection strings', () => {
  it('finds the blob endpoint: explicit, derived, or the emulator\'s', () => {
    const derived = parsePackageStorage(`DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`);
    assert.ok(derived.ok);
    assert.equal(derived.account.blobEndpoint, 'https://acct.blob.core.windows.net');
    const explicit = parsePackageStorage(`AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/`);
    assert.ok(explicit.ok);
    assert.equal(explicit.account.blobEndpoint, 'http://127.0.0.1:10000/devstoreaccount1');
    const emulator = parsePackageStorage('UseDevelopmentStorage=true');
    assert.ok(emulator.ok);
    assert.equal(emulator.account.accountName, 'devstoreaccount1');
  });

  it('says what is missing without echoing the string', () => {
    const cases: [string, RegExp][] = [
      [`DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};TableEndpoint=http://127.0.0.1:1/devstoreaccount1`, /has no blob endpoint/],
      ['BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=zzz', /has no AccountKey/],
      [`BlobEndpoint=ftp://x;AccountKey=${key}`, /not an http\(s\) URL/],
      [`BlobEndpoint=https://acct.blob.core.windows.net;AccountKey=not base64!`, /not base64/],
      [`${key}`, /not of the form Name=value/],
      ['', /is empty/],
    ];
    for (const [text, expected] of cases) {
      const parsed = parsePackageStorage(text);
      assert.ok(!parsed.ok, text);
      assert.match(parsed.problem, expected);
      assert.doesNotMatch(parsed.problem, /a2V5|zzz/);
    }
  });
});
