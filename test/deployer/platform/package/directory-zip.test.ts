import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { zipDirectory } from '../../../../deployer/platform/package/directory-zip.js';
import { listPackageDirectory } from '../../../../deployer/platform/package/package-directory.js';
import { resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../../deployer/platform/package/package-unpacking.js';
import { extractZip } from '../../../../deployer/platform/package/zip-extraction.js';

let workDir: string;
let appDir: string;
before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'directory-zip-'));
  appDir = path.join(workDir, 'app');
  const files: Record<string, string> = {
    'host.json': '{"version":"2.0"}',
    'package.json': '{"name":"app","version":"1.0.0"}',
    'local.settings.json': '{"Values":{"AzureWebJobsStorage":"secret"}}',
    'dist/src/functions/a.js': 'exports.a = 1;',
    'dist/src/functions/b.js': 'exports.b = 2;',
    'node_modules/dep/index.js': 'module.exports = {};',
    'node_modules/dep/node_modules/inner/index.js': 'module.exports = {};',
    'dist/node_modules/nested/index.js': 'module.exports = {};',
    '.git/HEAD': 'ref: refs/heads/main',
    '.data/azurite/db.json': '{}',
    'bin/tool.sh': '#!/bin/sh\n',
    'src/local.settings.json': 'kept: only the root one is local state',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(appDir, name)), { recursive: true });
    await writeFile(path.join(appDir, name), content);
  }
  await chmod(path.join(appDir, 'bin/tool.sh'), 0o755);
  // What npm makes: links to the packages' command-line tools, at every level.
  for (const bin of ['node_modules/.bin', 'node_modules/dep/node_modules/.bin']) {
    await mkdir(path.join(appDir, bin), { recursive: true });
    await symlink('../dep/index.js', path.join(appDir, bin, 'dep'));
  }
  await mkdir(path.join(appDir, 'empty', 'deeper'), { recursive: true });
});
after(() => rm(workDir, { recursive: true, force: true }));

async function zipTo(dir: string, file: string): Promise<{ files: number; bytes: number }> {
  const zip = await zipDirectory(dir);
  await pipeline(zip.stream, createWriteStream(file));
  return { files: zip.files, bytes: zip.bytes };
}

const limits = resolvePackageLimits();

describe('zipDirectory', () => {
  it('zips the app with its node_modules, without .git, .data, local.settings.json and node_modules/.bin, and it extracts to the same files', async () => {
    const file = path.join(workDir, 'app.zip');
    const counts = await zipTo(appDir, file);
    const extracted = await extractZip(file, path.join(workDir, 'extracted'), { limits });
    assert.deepEqual(extracted.files.map((entry) => entry.path).sort(), [
      'bin/tool.sh',
      'dist/node_modules/nested/index.js',
      'dist/src/functions/a.js',
      'dist/src/functions/b.js',
      'host.json',
      'node_modules/dep/index.js',
      'node_modules/dep/node_modules/inner/index.js',
      'package.json',
      'src/local.settings.json',
    ]);
    assert.equal(counts.files, 9);
    assert.equal(counts.bytes, extracted.files.reduce((sum, entry) => sum + entry.bytes, 0));
    assert.ok(extracted.directories.includes('empty/deeper'));
    assert.equal((await stat(path.join(workDir, 'extracted', 'bin', 'tool.sh'))).mode & 0o111, 0o111);
    assert.equal(await readFile(path.join(workDir, 'extracted', 'dist/src/functions/b.js'), 'utf8'), 'exports.b = 2;');
  });

  it('gives the same bytes for the same files', async () => {
    await zipTo(appDir, path.join(workDir, 'first.zip'));
    await zipTo(appDir, path.join(workDir, 'second.zip'));
    assert.deepEqual(await readFile(path.join(workDir, 'first.zip')), await readFile(path.join(workDir, 'second.zip')));
  });

  it('follows links that stay inside the package, under the link\'s path, and refuses all others in one error naming each', async () => {
    const linked = path.join(workDir, 'linked');
    await mkdir(path.join(linked, 'packages', 'helper', 'lib'), { recursive: true });
    await mkdir(path.join(linked, 'node_modules'), { recursive: true });
    await writeFile(path.join(linked, 'host.json'), '{}');
    await writeFile(path.join(linked, 'packages', 'helper', 'lib', 'index.js'), 'module.exports = 1;');
    // What npm workspaces make: node_modules/<name> → the workspace folder.
    await symlink('../packages/helper', path.join(linked, 'node_modules', 'helper'));
    await symlink('packages/helper/lib/index.js', path.join(linked, 'entry.js'));
    const inside = await listPackageDirectory(linked);
    assert.deepEqual(inside.files.map((file) => file.path), ['entry.js', 'host.json', 'node_modules/helper/lib/index.js', 'packages/helper/lib/index.js']);
    assert.deepEqual(inside.directories, ['node_modules', 'node_modules/helper', 'node_modules/helper/lib', 'packages', 'packages/helper', 'packages/helper/lib']);
    const unpacked = await unpackPackage(linked, path.join(workDir, 'linked-copy'), { limits: resolvePackageLimits() });
    assert.equal(unpacked.files.length, 4);
    assert.equal(await readFile(path.join(workDir, 'linked-copy', 'node_modules', 'helper', 'lib', 'index.js'), 'utf8'), 'module.exports = 1;');

    await symlink('/etc/hostname', path.join(linked, 'escape.js'));
    await symlink('missing.js', path.join(linked, 'dangling.js'));
    await symlink('..', path.join(linked, 'packages', 'helper', 'up'));
    await symlink('self', path.join(linked, 'self'));
    await assert.rejects(zipDirectory(linked), (error: unknown) => {
      assert.ok(isRouterError(error, 'PACKAGE_INVALID'));
      assert.match(error.message, /symbolic links that do not stay inside it: "dangling.js" \(it points to missing.js, which does not exist\), "escape.js" \(it points outside the package, to \/etc\/hostname\)/);
      // Through node_modules/helper, "up" leads to packages/, not a folder it is in: followed, until the loop closes.
      assert.match(error.message, /"node_modules\/helper\/up\/helper\/up" \(it points to a folder it is in: a loop\)/);
      assert.match(error.message, /"packages\/helper\/up" \(it points to a folder it is in: a loop\), "self" \(it loops\)/);
      return true;
    });
  });

  it('leaves out what a filter names, e.g. dev dependencies', async () => {
    const zip = await zipDirectory(appDir, { skip: (relative) => relative === 'node_modules/dep' });
    await pipeline(zip.stream, createWriteStream(path.join(workDir, 'filtered.zip')));
    const extracted = await extractZip(path.join(workDir, 'filtered.zip'), path.join(workDir, 'filtered'), { limits: resolvePackageLimits() });
    assert.ok(!extracted.files.some((file) => file.path.startsWith('node_modules/dep/')));
    assert.ok(extracted.files.some((file) => file.path === 'dist/node_modules/nested/index.js'));
  });

  it('refuses something that is not a directory', async () => {
    await assert.rejects(zipDirectory(path.join(appDir, 'host.json')), /is not a directory/);
    await assert.rejects(zipDirectory(path.join(workDir, 'missing')), /does not exist/);
  });
});

describe('unpackPackage and packageContentHash', () => {
  it('copies a directory with the same content hash as a zip of it', async () => {
    const skip = (relative: string): boolean => relative === 'local.settings.json' || relative.startsWith('.') || relative.includes('node_modules');
    const copied = await unpackPackage(appDir, path.join(workDir, 'copied'), { limits, skip });
    const zipFile = path.join(workDir, 'for-hash.zip');
    await zipTo(appDir, zipFile);
    const unzipped = await unpackPackage(zipFile, path.join(workDir, 'unzipped'), { limits, skip });
    assert.equal(packageContentHash(copied.files), packageContentHash(unzipped.files));
    assert.equal(await readFile(path.join(workDir, 'copied', 'dist/src/functions/a.js'), 'utf8'), 'exports.a = 1;');
  });

  it('refuses a directory over the limits, leaving nothing behind', async () => {
    const tight = resolvePackageLimits({ maxUncompressedBytes: 40 });
    const out = path.join(workDir, 'too-big');
    await assert.rejects(unpackPackage(appDir, out, { limits: tight }), (error: unknown) => isRouterError(error, 'PACKAGE_TOO_LARGE'));
    await assert.rejects(stat(out), { code: 'ENOENT' });
    const few = resolvePackageLimits({ maxEntries: 3 });
    await assert.rejects(unpackPackage(appDir, out, { limits: few }), /more than 3 files and folders/);
  });

  it('hashes content and names, not order', () => {
    const a = { path: 'a.js', sha256: '1'.repeat(64) };
    const b = { path: 'b.js', sha256: '2'.repeat(64) };
    assert.equal(packageContentHash([a, b]), packageContentHash([b, a]));
    assert.notEqual(packageContentHash([a, b]), packageContentHash([a, { ...b, sha256: '3'.repeat(64) }]));
    assert.notEqual(packageContentHash([a, b]), packageContentHash([a, { ...b, path: 'c.js' }]));
    assert.notEqual(packageContentHash([a, b]), packageContentHash([a]));
    assert.match(packageContentHash([]), /^[0-9a-f]{64}$/);
  });
});
