/**
 * Hostile input against a whole router (front door, control plane, an app), on real processes:
 * every attempt is refused with its stable 4xx code in the error shape, and afterwards the version
 * map, the apps and the tracking store are as they were. The exploits issue 9 lists are among the
 * attempts.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import path from 'node:path';
import { writeFile, mkdir, symlink } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { buildRawZip, type RawZipEntry } from '../deployer/platform/package/fixtures/raw-zip.js';
import { ReleaseStack, type HttpAnswer } from '../router/control-plane/fixtures/release-stack.js';

interface Snapshot {
  readonly map: string;
  readonly apps: string;
  readonly instances: string;
}

function errorCodeOf(answer: HttpAnswer): string | undefined {
  const body = answer.body as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.message, 'string', `the error shape: ${JSON.stringify(answer.body)}`);
  return typeof body.error?.code === 'string' ? body.error.code : undefined;
}

function refused(answer: HttpAnswer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(errorCodeOf(answer), code);
}

/** One HTTP/1.1 request written by hand (what clients would refuse to send), and the status line and body that came back. */
function raw(url: string, text: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      resolve({ status, body: received.slice(received.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(text);
    socket.end();
  });
}

/** Zips written byte by byte: zip libraries refuse to write what these tests send. */
function zipOf(entries: readonly RawZipEntry[]): Readable {
  return Readable.from([buildRawZip(entries)]);
}

describe('hostile input', () => {
  let stack: ReleaseStack;
  let before1: Snapshot;
  let spoofedStart: HttpAnswer<{ statusQueryGetUri: string }>;

  async function snapshot(): Promise<Snapshot> {
    const map = await stack.map();
    const apps = await stack.platformApps();
    const instances = await stack.app<{ instanceId: string; runtimeStatus: string }[]>('GET', '/runtime/webhooks/durabletask/instances?top=100', { 'x-app-version': '1.0' });
    return {
      map: JSON.stringify({ current: map.current, versions: map.versions.map((entry) => [entry.routeKey, entry.state, entry.versions]) }),
      apps: JSON.stringify(apps.map((app) => app.name).sort()),
      instances: JSON.stringify((Array.isArray(instances.body) ? instances.body : []).map((instance) => [instance.instanceId, instance.runtimeStatus]).sort()),
    };
  }

  before(async () => {
    stack = await ReleaseStack.start();
    const { final } = await stack.release({ version: '1.0.1', package: await stack.stage('1.0.1') });
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    const started = await stack.app('POST', '/api/waits/hostile-witness');
    assert.equal(started.status, 202);
    spoofedStart = await stack.app('POST', '/api/waits/hostile-forwarded', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    before1 = await snapshot();
  });

  after(async () => {
    await stack?.stop();
  });

  describe('versions', () => {
    it('refuses a malformed x-app-version', async () => {
      for (const version of ['1.x', '01.0', '1.0.0.0', '../1.0', '1.0;drop']) {
        refused(await stack.app('GET', '/api/version', { 'x-app-version': version }), 400, 'INVALID_VERSION');
      }
    });

    it('refuses a release whose version is malformed, already deployed, or lower than one deployed', async () => {
      refused(await stack.admin('POST', '/admin/releases', { version: 'latest', package: await stack.stage('1.0.9') }), 400, 'INVALID_VERSION');
      refused(await stack.admin('POST', '/admin/releases', { version: '1.0.1', package: await stack.stage('1.0.1') }), 409, 'VERSION_EXISTS');
      refused(await stack.admin('POST', '/admin/releases', { version: '1.0.0', package: await stack.stage('1.0.0') }), 409, 'VERSION_DOWNGRADE');
    });
  });

  describe('requests', () => {
    it('refuses malformed JSON and a body of the wrong type on the admin API', async () => {
      const malformed = await request(`${stack.url}/admin/releases`, {
        method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' }, body: '{"version": "1.2.0", ',
      });
      refused({ status: malformed.statusCode, headers: malformed.headers, body: await malformed.body.json() as Record<string, unknown> }, 400, 'INVALID_REQUEST');
    });

    it('refuses a request smuggled with both Content-Length and Transfer-Encoding', async () => {
      const answer = await raw(stack.url, [
        'POST /api/version HTTP/1.1', `Host: ${new URL(stack.url).host}`, 'Content-Length: 4', 'Transfer-Encoding: chunked', '', '0', '', 'GET /admin/versions HTTP/1.1', '', '',
      ].join('\r\n'));
      assert.equal(answer.status, 400, answer.body);
      const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'INVALID_REQUEST', 'in the one error shape, also from the HTTP parser');
    });

    it('asks the durable API for the router\'s key, and the control plane\'s own API for its host\'s keys', async () => {
      const list = await request(`${stack.url}/runtime/webhooks/durabletask/instances`);
      assert.equal(list.statusCode, 401);
      assert.equal(((await list.body.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
      const terminate = await request(`${stack.url}/runtime/webhooks/durabletask/instances/hostile-witness/terminate?reason=x`, { method: 'POST' });
      assert.equal(terminate.statusCode, 401);
      await terminate.body.dump();
      // The exploit: switching the current version through the control plane's own durable API.
      const exploit = await request(`${stack.controlPlane.url}/runtime/webhooks/durabletask/orchestrators/makeCurrentOperation`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routeKey: '1.0' }),
      });
      assert.equal(exploit.statusCode, 401);
      await exploit.body.dump();
      for (const adminPath of ['/admin/host/status', '/admin/functions']) {
        const answer = await request(`${stack.controlPlane.url}${adminPath}`);
        assert.equal(answer.statusCode, 401, adminPath);
        await answer.body.dump();
      }
    });

    it('never hands out a URL on a host a client names in X-Forwarded-Host', async () => {
      assert.equal(spoofedStart.status, 202);
      assert.ok(spoofedStart.body.statusQueryGetUri.startsWith(`${stack.url}/`), spoofedStart.body.statusQueryGetUri);
      assert.ok(!JSON.stringify(spoofedStart.headers).includes('evil.example'));
    });
  });

  describe('packages', () => {
    it('refuses a package path outside the router\'s package folders, or climbing out of one', async () => {
      refused(await stack.admin('POST', '/admin/releases', { version: '1.1.0', package: '/etc' }), 403, 'PACKAGE_NOT_ALLOWED');
      refused(await stack.admin('POST', '/admin/releases', { version: '1.1.0', package: path.join(stack.packagesDir, '..', '..') }), 403, 'PACKAGE_NOT_ALLOWED');
      const escape = path.join(stack.packagesDir, 'escape');
      await mkdir(escape, { recursive: true });
      await writeFile(path.join(escape, 'package.json'), '{"name":"escape","version":"1.1.0","main":"index.js"}');
      await symlink('/etc/hostname', path.join(escape, 'index.js'));
      refused(await stack.admin('POST', '/admin/releases', { version: '1.1.0', package: escape }), 422, 'PACKAGE_INVALID');
    });

    it('refuses zips whose entries climb out with ".." or are symbolic links', async () => {
      const manifest = { name: 'package.json', data: Buffer.from('{"name":"x","version":"1.1.0","main":"src/functions.js"}') };
      const climbing = zipOf([manifest, { name: 'src/../../evil.js', data: Buffer.from('x') }]);
      refused(await stack.upload('/admin/releases?version=1.1.0', climbing), 422, 'PACKAGE_INVALID');
      const linked = zipOf([manifest, { name: 'src/functions.js', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 }]);
      refused(await stack.upload('/admin/releases?version=1.1.0', linked), 422, 'PACKAGE_INVALID');
    });
  });

  it('leaves the version map, the apps and the tracking store as they were', async () => {
    const now = await snapshot();
    assert.deepEqual(now, before1);
  });
});
