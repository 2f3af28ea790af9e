/**
 * Hostile packages released through a whole router (Azurite, the control plane, the front door):
 * zip bombs and package URLs that would reach the router's machine, its network or its cloud's
 * metadata. Each is refused with its stable 4xx code, and the version map, the apps and the
 * staging area are unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildRawZip, type RawZipEntry } from '../../deployer/platform/package/fixtures/raw-zip.js';
import { ReleaseStack } from './fixtures/release-stack.js';

describe('hostile packages released through the router', () => {
  let stack: ReleaseStack;
  let unchanged: () => Promise<void>;

  before(async () => {
    stack = await ReleaseStack.start();
    const map = await stack.map();
    const apps = await stack.platformApps();
    unchanged = async () => {
      assert.deepEqual(await stack.map(), map, 'the version map is unchanged');
      assert.deepEqual(await stack.platformApps(), apps, 'no app was created');
      assert.deepEqual(await readdir(path.join(stack.workDir, 'control-plane', 'staging')).catch(() => []), [], 'nothing is left in staging');
    };
  });

  after(async () => {
    await stack?.stop();
  });

  const app = (version: string, ...extra: RawZipEntry[]): Readable => Readable.from([buildRawZip([
    { name: 'host.json', data: Buffer.from('{"version":"2.0"}') },
    { name: 'package.json', data: Buffer.from(JSON.stringify({ name: 'orders', version, main: 'index.js' })) },
    { name: 'index.js', data: Buffer.from('module.exports = {};\n') },
    ...extra,
  ])]);

  it('refuses zip bombs before unpacking them: declared sizes, ratios, and sizes that lie', async () => {
    const declared = await stack.upload('/admin/releases?version=1.0.0', app('1.0.0', { name: 'huge.bin', data: Buffer.alloc(10_000), method: 'deflate', declaredSize: 2 ** 31 }));
    assert.equal(declared.status, 413, JSON.stringify(declared.body));
    assert.equal((declared.body as { error: { code: string } }).error.code, 'PACKAGE_TOO_LARGE');
    await unchanged();
    const ratio = await stack.upload('/admin/releases?version=1.0.0', app('1.0.0', { name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024), method: 'deflate' }));
    assert.equal(ratio.status, 413);
    assert.match((ratio.body as { error: { message: string } }).error.message, /looks like a zip bomb: its entry "zeros.bin" would inflate \d+ times/);
    await unchanged();
    const liar = await stack.upload('/admin/releases?version=1.0.0', app('1.0.0', { name: 'liar.bin', data: Buffer.alloc(32 * 1024 * 1024), method: 'deflate', declaredSize: 10 }));
    assert.equal(liar.status, 422);
    assert.equal((liar.body as { error: { code: string } }).error.code, 'PACKAGE_INVALID');
    assert.match((liar.body as { error: { message: string } }).error.message, /"liar.bin" inflates to more than the 10 bytes its headers declare/);
    await unchanged();
  });

  it('refuses package URLs to unlisted hosts and to loopback, private and metadata addresses', async () => {
    const refusals: Array<[string, RegExp]> = [
      ['https://packages.example.com/app.zip?sig=SECRET', /names the host packages.example.com, which is not one this router downloads from: add it to ROUTER_PACKAGE_HOSTS/],
      ['https://localhost:1/app.zip', /The package host localhost resolves to a loopback address/],
      ['https://[::1]:1/app.zip', /names a loopback address/],
      ['https://169.254.169.254/metadata/identity/oauth2/token', /names a cloud metadata address/],
      ['https://10.0.0.4/app.zip', /names a private address/],
    ];
    for (const [url, message] of refusals) {
      const answer = await stack.admin<{ error: { code: string; message: string } }>('POST', '/admin/releases', { version: '1.0.0', package: url });
      assert.equal(answer.status, 400, `${url}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'PACKAGE_URL_NOT_ALLOWED');
      assert.match(answer.body.error.message, message);
      assert.doesNotMatch(JSON.stringify(answer.body), /SECRET/);
      await unchanged();
    }
  });
});
