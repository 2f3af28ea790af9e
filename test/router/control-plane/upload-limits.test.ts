/**
 * Release uploads through the front door to a real control plane (local platform): oversized ones
 * get 413 PAYLOAD_TOO_LARGE in the error shape, never CONTROL_PLANE_UNAVAILABLE; one under the limit
 * streams to disk instead of into memory; afterwards the version map is unchanged and the control
 * plane still answers. Bodies are generated as they are sent (raw sockets), never held in memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { defaultPackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { peakResidentBytes } from '../../fixtures/process-memory.js';
import { rawExchange, type RawResponse } from '../../fixtures/raw-exchange.js';
import { ReleaseStack } from './fixtures/release-stack.js';

const megabyte = 1000 * 1000;

function errorCode(response: RawResponse): string {
  return (JSON.parse(response.body) as { error: { code: string } }).error.code;
}

describe('release uploads over the limit', () => {
  let stack: ReleaseStack;
  let port: number;
  let mapBefore: VersionMap;

  before(async () => {
    stack = await ReleaseStack.start({ platform: 'local' });
    port = Number(new URL(stack.url).port);
    mapBefore = (await stack.store.read()).map;
  });

  after(async () => {
    await stack?.stop();
  });

  function upload(headers: string[]): string {
    return ['POST /admin/releases HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${stack.adminKey}`,
      'Content-Type: application/zip', 'x-release-version: 1.0.0', ...headers].join('\r\n');
  }

  it('streams a 250 MB upload under the limit to disk: the control plane\'s peak memory grows by far less than the upload', async () => {
    const bytes = 250 * megabyte;
    const peakBefore = await peakResidentBytes(stack.controlPlane.pid);
    const response = await rawExchange(port, upload([`Content-Length: ${bytes}`]), { bytes });
    // Taken in whole, then found not to be a zip.
    assert.equal(response.status, 422, response.body);
    assert.equal(errorCode(response), 'PACKAGE_INVALID');
    assert.equal(response.bodyBytesSent, bytes);
    const growth = await peakResidentBytes(stack.controlPlane.pid) - peakBefore;
    assert.ok(growth < 128 * 1024 * 1024, `the control plane's peak resident memory grew by ${(growth / 1024 / 1024).toFixed(1)} MiB for a ${bytes / megabyte} MB upload`);
  });

  it('answers a declared 600 MB upload with 413 before it is sent', async () => {
    const bytes = 600 * megabyte;
    const response = await rawExchange(port, upload([`Content-Length: ${bytes}`]), { bytes });
    assert.equal(response.status, 413, response.body);
    assert.equal(errorCode(response), 'PAYLOAD_TOO_LARGE');
    assert.ok(response.bodyBytesSent < bytes);
  });

  it('cuts a chunked 300 MB upload at the package limit with 413', async () => {
    const bytes = 300 * megabyte;
    const response = await rawExchange(port, upload(['Transfer-Encoding: chunked']), { bytes, chunked: true });
    assert.equal(response.status, 413, response.body);
    assert.equal(errorCode(response), 'PAYLOAD_TOO_LARGE');
    // What the client counts as sent includes what sat in both sides' socket buffers (megabytes on loopback) when it was cut.
    assert.ok(response.bodyBytesSent <= defaultPackageLimits.maxCompressedBytes + 16 * 1024 * 1024, `cut at the limit, not read to its end: ${response.bodyBytesSent} bytes sent`);
  });

  it('leaves the version map as it was and the control plane answering', async () => {
    assert.deepEqual((await stack.store.read()).map, mapBefore);
    const answer = await stack.admin<{ error: { code: string } }>('GET', '/admin/releases/release-9.9.9-none');
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'RELEASE_NOT_FOUND');
  });
});
