import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { zipDirectory } from '../../../../deployer/platform/package/directory-zip.js';
import { PackageIntake, type PackageIntakeOptions, type PackageSource } from '../../../../router/releases/package/package-intake.js';
import { repositoryRoot } from '../../../deployer/host/fixture-apps.js';

const tls = path.join(repositoryRoot, 'test', 'router', 'releases', 'package', 'fixtures');
let workDir: string;
let packages: string;
let staging: string;
let appDir: string;
let appZip: Buffer;
let server: Server;
let base: string;
let certificate: string;
let requestsServed = 0;

async function writeApp(dir: string, version: string, extra: Record<string, string> = {}): Promise<void> {
  const files: Record<string, string> = {
    'host.json': '{"version":"2.0"}',
    'package.json': JSON.stringify({ name: 'orders', version, main: 'dist/index.js' }),
    'dist/index.js': 'module.exports = {};\n',
    'local.settings.json': '{"Values":{"AzureWebJobsStorage":"UseDevelopmentStorage=true"}}',
    ...extra,
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

async function zipOf(dir: string): Promise<Buffer> {
  const zip = await zipDirectory(dir);
  const chunks: Buffer[] = [];
  for await (const chunk of zip.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'package-intake-'));
  packages = path.join(workDir, 'packages');
  staging = path.join(workDir, 'staging');
  appDir = path.join(packages, 'orders-1.2.3');
  await writeApp(appDir, '1.2.3');
  appZip = await zipOf(appDir);
  await writeFile(path.join(packages, 'orders-1.2.3.zip'), appZip);
  await writeFile(path.join(packages, 'notes.txt'), 'not a package');
  await mkdir(path.join(workDir, 'outside'), { recursive: true });
  await writeApp(path.join(workDir, 'outside', 'app'), '1.2.3');
  await symlink(path.join(workDir, 'outside', 'app'), path.join(packages, 'escape'));

  certificate = await readFile(path.join(tls, 'test-server-cert.pem'), 'utf8');
  server = createHttpsServer({ cert: certificate, key: await readFile(path.join(tls, 'test-server-key.pem'), 'utf8') }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    requestsServed += 1;
    switch (url.pathname) {
      case '/app.zip':
        response.writeHead(200, { 'content-type': 'application/zip', 'content-length': appZip.length });
        response.end(appZip);
        return;
      case '/redirect':
        response.writeHead(302, { location: '/app.zip?sig=second' });
        response.end();
        return;
      case '/to-localhost':
        response.writeHead(302, { location: `https://localhost:${(server.address() as AddressInfo).port}/app.zip` });
        response.end();
        return;
      case '/to-metadata':
        response.writeHead(302, { location: 'https://169.254.169.254/metadata/identity/oauth2/token' });
        response.end();
        return;
      case '/to-private':
        response.writeHead(307, { location: 'https://[fd12::1]/app.zip' });
        response.end();
        return;
      case '/to-unlisted':
        response.writeHead(302, { location: 'https://packages.example.com/app.zip?sig=SECRET' });
        response.end();
        return;
      case '/loop':
        response.writeHead(307, { location: '/loop' });
        response.end();
        return;
      case '/to-http':
        response.writeHead(301, { location: `http://127.0.0.1:1/app.zip` });
        response.end();
        return;
      case '/declared-big':
        response.writeHead(200, { 'content-length': 10 * 1024 * 1024 });
        response.end();
        return;
      case '/chunked-big': {
        response.writeHead(200, { 'content-type': 'application/zip' });
        let sent = 0;
        const push = (): void => {
          while (sent < 4 * 1024 * 1024) {
            sent += 64 * 1024;
            if (!response.write(Buffer.alloc(64 * 1024))) return void response.once('drain', push);
          }
          response.end();
        };
        push();
        return;
      }
      case '/slow':
        response.writeHead(200, { 'content-type': 'application/zip' });
        response.write(appZip.subarray(0, 10));
        return;
      default:
        response.writeHead(404);
        response.end('no such package');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(workDir, { recursive: true, force: true });
});

function intake(overrides: Partial<PackageIntakeOptions> = {}): PackageIntake {
  return new PackageIntake({
    packageDirectories: [packages],
    stagingDir: staging,
    limits: { maxCompressedBytes: 1024 * 1024, maxUncompressedBytes: 2 * 1024 * 1024, maxEntries: 100 },
    trustedCertificates: [certificate],
    downloadTimeoutMs: 5_000,
    // As the test setting ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS would: 127.0.0.1 may be reached, localhost may not.
    packageHosts: ['127.0.0.1', 'localhost', 'packages.test'],
    loopbackHosts: ['127.0.0.1'],
    ...overrides,
  });
}

const reference = (text: string): PackageSource => ({ kind: 'reference', reference: text });

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isRouterError(error), `expected a RouterError, got ${(error as Error)?.stack ?? String(error)}`);
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected the package to be refused');
}

async function assertStagingEmpty(): Promise<void> {
  assert.deepEqual(await readdir(staging).catch(() => []), []);
}

describe('PackageIntake', () => {
  let directoryHash: string;

  it('takes in a directory under a package directory, without its local settings', async () => {
    const taken = await intake().takeIn(reference(appDir), '1.2.3');
    assert.deepEqual(taken.manifest, { name: 'orders', version: '1.2.3', dependencies: [] });
    assert.equal(taken.files, 3);
    assert.equal(taken.origin, appDir);
    assert.match(taken.sha256, /^[0-9a-f]{64}$/);
    assert.ok(taken.dir.startsWith(staging));
    assert.deepEqual((await readdir(taken.dir)).sort(), ['dist', 'host.json', 'package.json']);
    assert.equal(taken.bytes, (await stat(path.join(appDir, 'host.json'))).size + (await stat(path.join(appDir, 'package.json'))).size + 21);
    directoryHash = taken.sha256;
    await taken.dispose();
    await assertStagingEmpty();
  });

  it('takes in a zip by path, with the same content hash as the directory', async () => {
    const taken = await intake().takeIn(reference(path.join(packages, 'orders-1.2.3.zip')), '1.2.3');
    assert.equal(taken.sha256, directoryHash);
    assert.equal(await readFile(path.join(taken.dir, 'dist', 'index.js'), 'utf8'), 'module.exports = {};\n');
    await taken.dispose();
  });

  it('takes in an uploaded zip, declared length or chunked', async () => {
    const declared = await intake().takeIn({ kind: 'upload', body: Readable.from([appZip]), declaredBytes: appZip.length }, '1.2.3');
    assert.equal(declared.sha256, directoryHash);
    assert.equal(declared.origin, 'upload');
    await declared.dispose();
    const chunks = Array.from({ length: Math.ceil(appZip.length / 100) }, (_, index) => appZip.subarray(index * 100, index * 100 + 100));
    const chunked = await intake().takeIn({ kind: 'upload', body: Readable.from(chunks) }, '1.2.3');
    assert.equal(chunked.sha256, directoryHash);
    await chunked.dispose();
    await assertStagingEmpty();
  });

  it('downloads over https, following redirects, and never shows the query', async () => {
    const taken = await intake().takeIn(reference(`${base}/redirect?sig=SECRET`), '1.2.3');
    assert.equal(taken.sha256, directoryHash);
    assert.equal(taken.origin, `${base}/redirect?…`);
    await taken.dispose();
    const error = await refusal(intake().takeIn(reference(`${base}/missing.zip?sig=SECRET`), '1.2.3'));
    assert.equal(error.code, 'PACKAGE_DOWNLOAD_FAILED');
    assert.equal(error.message, `The package could not be downloaded from ${base}/missing.zip?…: the server answered 404.`);
    await assertStagingEmpty();
  });

  it('refuses a server it does not trust, a redirect to http, and redirect loops', async () => {
    const untrusted = await refusal(intake({ trustedCertificates: [] }).takeIn(reference(`${base}/app.zip`), '1.2.3'));
    assert.equal(untrusted.code, 'PACKAGE_DOWNLOAD_FAILED');
    assert.match(untrusted.message, /a certificate the router trusts/);
    const toHttp = await refusal(intake().takeIn(reference(`${base}/to-http`), '1.2.3'));
    assert.equal(toHttp.code, 'PACKAGE_NOT_ALLOWED');
    assert.match(toHttp.message, /redirected to http:\/\/; the router follows https only/);
    assert.match((await refusal(intake().takeIn(reference(`${base}/loop`), '1.2.3'))).message, /redirected more than 5 times/);
    assert.equal((await refusal(intake().takeIn(reference(`http://127.0.0.1:1/app.zip`), '1.2.3'))).code, 'PACKAGE_NOT_ALLOWED');
    await assertStagingEmpty();
  });

  it('downloads from no host when none is listed, saying how to allow one, without a request', async () => {
    const before = requestsServed;
    const error = await refusal(intake({ packageHosts: [] }).takeIn(reference(`${base}/app.zip?sig=SECRET`), '1.2.3'));
    assert.equal(error.code, 'PACKAGE_URL_NOT_ALLOWED');
    assert.match(error.message, /downloads packages from no host: ROUTER_PACKAGE_HOSTS is not set\. Set it to the hosts the router may download from/);
    assert.doesNotMatch(error.message, /SECRET/);
    assert.equal(requestsServed, before);
    await assertStagingEmpty();
  });

  it('refuses a host that is not listed, and loopback, private and metadata addresses even when listed, before connecting', async () => {
    const before = requestsServed;
    const port = (server.address() as AddressInfo).port;
    const unlisted = await refusal(intake().takeIn(reference('https://packages.example.com/app.zip'), '1.2.3'));
    assert.equal(unlisted.code, 'PACKAGE_URL_NOT_ALLOWED');
    assert.match(unlisted.message, /names the host packages.example.com, which is not one this router downloads from: add it to ROUTER_PACKAGE_HOSTS/);
    const refusals: Array<[string, readonly string[], RegExp]> = [
      [`https://127.0.0.1:${port}/app.zip`, ['127.0.0.1'], /names a loopback address/],
      [`https://[::1]:${port}/app.zip`, ['::1'], /names a loopback address/],
      [`https://localhost:${port}/app.zip`, ['localhost'], /The package host localhost resolves to a loopback address/],
      ['https://169.254.169.254/metadata', ['169.254.169.254'], /names a cloud metadata address/],
      ['https://10.0.0.8/app.zip', ['10.0.0.8'], /names a private address/],
      ['https://[fe80::1]/app.zip', ['fe80::1'], /names a link-local address/],
    ];
    for (const [url, hosts, message] of refusals) {
      const error = await refusal(intake({ packageHosts: hosts, loopbackHosts: [] }).takeIn(reference(url), '1.2.3'));
      assert.equal(error.code, 'PACKAGE_URL_NOT_ALLOWED', url);
      assert.match(error.message, message);
      assert.match(error.message, /public addresses only/);
    }
    assert.equal(requestsServed, before, 'no request reached the server');
    await assertStagingEmpty();
  });

  it('checks every redirect: its host, and the addresses it names or resolves to', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/to-localhost', /^The package host localhost resolves to a loopback address/],
      ['/to-metadata', /redirected to https:\/\/169.254.169.254\/metadata\/identity\/oauth2\/token, which names a cloud metadata address/],
      ['/to-private', /redirected to https:\/\/\[fd12::1\]\/app.zip, which names a private address/],
      ['/to-unlisted', /redirected to https:\/\/packages.example.com\/app.zip\?…, which names the host packages.example.com, which is not one/],
    ];
    for (const [route, message] of cases) {
      const error = await refusal(intake().takeIn(reference(`${base}${route}`), '1.2.3'));
      assert.equal(error.code, 'PACKAGE_URL_NOT_ALLOWED', route);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /SECRET/);
    }
    await assertStagingEmpty();
  });

  it('says a download failed without the network\'s own error text', async () => {
    const closed = await refusal(intake().takeIn(reference('https://127.0.0.1:1/app.zip'), '1.2.3'));
    const untrusted = await refusal(intake({ trustedCertificates: [] }).takeIn(reference(`${base}/app.zip`), '1.2.3'));
    for (const error of [closed, untrusted]) {
      assert.equal(error.code, 'PACKAGE_DOWNLOAD_FAILED');
      assert.match(error.message, /: no https exchange with its server succeeded \(check that the URL is right/);
      assert.doesNotMatch(error.message, /ECONN|connect |self.signed|unable to|SSL|alert|errno/i);
    }
    assert.equal(closed.message.replace('127.0.0.1:1', 'HOST'), untrusted.message.replace(base.slice('https://'.length), 'HOST'), 'a closed port and a TLS server read the same');
    await assertStagingEmpty();
  });

  it('stops a download at the size limit, declared or not, and at the time limit', async () => {
    const declared = await refusal(intake().takeIn(reference(`${base}/declared-big`), '1.2.3'));
    assert.equal(declared.code, 'PACKAGE_TOO_LARGE');
    assert.match(declared.message, /larger than the 1.0 MiB this router accepts \(10.0 MiB or more\)/);
    const chunked = await refusal(intake().takeIn(reference(`${base}/chunked-big`), '1.2.3'));
    assert.equal(chunked.code, 'PACKAGE_TOO_LARGE');
    const started = performance.now();
    const slow = await refusal(intake({ downloadTimeoutMs: 500 }).takeIn(reference(`${base}/slow`), '1.2.3'));
    assert.equal(slow.code, 'PACKAGE_DOWNLOAD_FAILED');
    assert.match(slow.message, /did not finish within 500 ms/);
    assert.ok(performance.now() - started < 4_000);
    await assertStagingEmpty();
  });

  it('refuses an upload over the limit, declared or while it streams', async () => {
    const declared = await refusal(intake().takeIn({ kind: 'upload', body: Readable.from([appZip]), declaredBytes: 2 * 1024 * 1024 }, '1.2.3'));
    assert.equal(declared.code, 'PACKAGE_TOO_LARGE');
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(produced > 64 * 1024 * 1024 ? null : Buffer.alloc(64 * 1024));
      },
    });
    const streamed = await refusal(intake().takeIn({ kind: 'upload', body: endless }, '1.2.3'));
    assert.equal(streamed.code, 'PACKAGE_TOO_LARGE');
    assert.ok(produced < 2 * 1024 * 1024, `stopped after ${produced} bytes`);
    const garbage = await refusal(intake().takeIn({ kind: 'upload', body: Readable.from([Buffer.from('not a zip')]) }, '1.2.3'));
    assert.equal(garbage.code, 'PACKAGE_INVALID');
    await assertStagingEmpty();
  });

  it('refuses paths outside the package directories, links out of them, and things that are not packages', async () => {
    assert.equal((await refusal(intake().takeIn(reference(path.join(workDir, 'outside', 'app')), '1.2.3'))).code, 'PACKAGE_NOT_ALLOWED');
    assert.equal((await refusal(intake().takeIn(reference(`${packages}/../outside/app`), '1.2.3'))).code, 'PACKAGE_NOT_ALLOWED');
    assert.match((await refusal(intake().takeIn(reference(path.join(packages, 'escape')), '1.2.3'))).message, /through a symbolic link/);
    assert.equal((await refusal(intake({ packageDirectories: [] }).takeIn(reference(appDir), '1.2.3'))).code, 'PACKAGE_NOT_ALLOWED');
    assert.match((await refusal(intake().takeIn(reference(path.join(packages, 'notes.txt')), '1.2.3'))).message, /is a file but not a .zip/);
    assert.match((await refusal(intake().takeIn(reference(path.join(packages, 'none')), '1.2.3'))).message, /does not exist/);
    await assertStagingEmpty();
  });

  it('refuses a package for another version, naming both, before anything else happens', async () => {
    const error = await refusal(intake().takeIn(reference(appDir), '1.2.4'));
    assert.equal(error.code, 'PACKAGE_VERSION_MISMATCH');
    assert.match(error.message, /says version "1.2.3", but the release is for 1.2.4/);
    assert.equal((await refusal(intake().takeIn(reference(appDir), 'latest'))).code, 'INVALID_VERSION');
    await assertStagingEmpty();
  });

  it('refuses a zip of the folder rather than its contents, saying so', async () => {
    const wrapper = path.join(workDir, 'wrapper');
    await writeApp(path.join(wrapper, 'orders-app'), '1.2.3');
    const file = path.join(packages, 'wrapped.zip');
    const zip = await zipDirectory(wrapper);
    await pipeline(zip.stream, createWriteStream(file));
    const error = await refusal(intake().takeIn(reference(file), '1.2.3'));
    assert.equal(error.code, 'PACKAGE_INVALID');
    assert.match(error.message, /no host.json at its root.*It is in the folder "orders-app\/"/s);
    await assertStagingEmpty();
  });

  it('refuses a package that does not ship a dependency it declares, naming it, and takes one that ships it', async () => {
    const app = path.join(packages, 'with-dependencies');
    const declaring = { 'package.json': JSON.stringify({ name: 'orders', version: '1.2.3', dependencies: { dayjs: '^1.11.0', '@scope/words': '1.0.0', 'durable-functions': '^3.5.0' } }) };
    await writeApp(app, '1.2.3', { ...declaring, 'package-lock.json': '{"lockfileVersion":3,"packages":{}}' });
    const bare = await refusal(intake().takeIn(reference(app), '1.2.3'));
    assert.equal(bare.code, 'PACKAGE_DEPENDENCIES_MISSING');
    assert.match(bare.message, /declares the dependencies dayjs, @scope\/words, but it ships no node_modules \(a package-lock.json alone is not installed/);
    assert.deepEqual(bare.details, { missing: ['dayjs', '@scope/words'] });
    await writeApp(app, '1.2.3', { ...declaring, 'node_modules/dayjs/package.json': '{"name":"dayjs"}' });
    const partly = await refusal(intake().takeIn(reference(app), '1.2.3'));
    assert.match(partly.message, /declares the dependency @scope\/words, but its node_modules lacks it/);
    await writeApp(app, '1.2.3', { ...declaring, 'node_modules/@scope/words/package.json': '{"name":"@scope/words"}' });
    const taken = await intake().takeIn(reference(app), '1.2.3');
    assert.deepEqual(taken.manifest.dependencies, ['dayjs', '@scope/words', 'durable-functions']);
    await taken.dispose();
    await assertStagingEmpty();
  });

  it('refuses a directory over the limits', async () => {
    const big = path.join(packages, 'big');
    await writeApp(big, '1.2.3', { 'data/blob.bin': 'x'.repeat(3 * 1024 * 1024) });
    assert.equal((await refusal(intake().takeIn(reference(big), '1.2.3'))).code, 'PACKAGE_TOO_LARGE');
    await assertStagingEmpty();
  });
});
