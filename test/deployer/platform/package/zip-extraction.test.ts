import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { isLocalOnlyPath } from '../../../../deployer/platform/package/package-paths.js';
import { extractZip } from '../../../../deployer/platform/package/zip-extraction.js';
import { buildRawZip, type RawZipEntry } from './fixtures/raw-zip.js';

let workDir: string;
let counter = 0;
before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'zip-extraction-'));
});
after(() => rm(workDir, { recursive: true, force: true }));

const limits = resolvePackageLimits({ maxCompressedBytes: 1024 * 1024, maxUncompressedBytes: 4 * 1024 * 1024, maxEntries: 50 });

async function zipFile(entries: readonly RawZipEntry[]): Promise<string> {
  const file = path.join(workDir, `input-${++counter}.zip`);
  await writeFile(file, buildRawZip(entries));
  return file;
}

function destination(): string {
  return path.join(workDir, `out-${++counter}`, 'package');
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isRouterError(error), `expected a RouterError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('expected the extraction to be refused');
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('extractZip', () => {
  it('extracts files and folders, with their hashes, executable bits and nothing else', async () => {
    const script = Buffer.from('#!/bin/sh\necho hi\n');
    const zip = await zipFile([
      { name: 'host.json', data: Buffer.from('{"version":"2.0"}') },
      { name: 'dist/', unixMode: 0o040755 },
      { name: 'dist/index.js', data: Buffer.from('module.exports = 1;\n'.repeat(100)), method: 'deflate', unixMode: 0o100644 },
      { name: 'bin/run.sh', data: script, unixMode: 0o100755 },
      { name: 'empty/', unixMode: 0o040755 },
    ]);
    const out = destination();
    const result = await extractZip(zip, out, { limits });
    assert.deepEqual(
      result.files.map((file) => [file.path, file.bytes]),
      [
        ['host.json', 17],
        ['dist/index.js', 2000],
        ['bin/run.sh', script.length],
      ],
    );
    assert.equal(result.files[2]?.sha256, sha256(script));
    assert.deepEqual([...result.directories].sort(), ['dist', 'empty']);
    assert.equal(await readFile(path.join(out, 'dist', 'index.js'), 'utf8'), 'module.exports = 1;\n'.repeat(100));
    assert.equal((await stat(path.join(out, 'bin', 'run.sh'))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(out, 'host.json'))).mode & 0o777, 0o644);
    assert.ok((await stat(path.join(out, 'empty'))).isDirectory());
  });

  it('leaves out what the skip rule names', async () => {
    const zip = await zipFile([
      { name: 'host.json', data: Buffer.from('{}') },
      { name: 'local.settings.json', data: Buffer.from('{"Values":{"Secret":"x"}}') },
      { name: '.git/config', data: Buffer.from('[core]') },
    ]);
    const out = destination();
    const result = await extractZip(zip, out, { limits, skip: isLocalOnlyPath });
    assert.deepEqual(result.files.map((file) => file.path), ['host.json']);
    assert.deepEqual(await readdir(out), ['host.json']);
  });

  const hostile: [string, RawZipEntry[], RegExp][] = [
    ['an absolute path', [{ name: '/etc/cron.d/evil', data: Buffer.from('x') }], /"\/etc\/cron.d\/evil", whose path could escape the package \(absolute path\)/],
    ['a climb out with ..', [{ name: 'dist/../../evil.js', data: Buffer.from('x') }], /could escape the package \(invalid relative path\)/],
    ['a backslash path', [{ name: '..\\evil.js', data: Buffer.from('x') }], /could escape the package \(invalid characters in fileName\)/],
    ['a drive letter', [{ name: 'C:/evil.js', data: Buffer.from('x') }], /could escape the package \(absolute path\)/],
    ['an empty folder name', [{ name: 'a//b.js', data: Buffer.from('x') }], /"a\/\/b.js": a path with an empty folder name/],
    ['a symbolic link', [{ name: 'link', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 }], /symbolic link, "link": links are not allowed/],
    ['a fifo', [{ name: 'pipe', unixMode: 0o010644 }], /"pipe", which is neither a file nor a folder/],
    ['an encrypted entry', [{ name: 'secret.js', data: Buffer.from('x'), method: 'deflate', encrypted: true }], /encrypted/],
    ['a duplicate entry', [{ name: 'a.js', data: Buffer.from('1') }, { name: 'a.js', data: Buffer.from('2') }], /"a.js" more than once/],
    ['a file and a folder by one name', [{ name: 'a', data: Buffer.from('1') }, { name: 'a/b.js', data: Buffer.from('2') }], /clashes with another entry/],
  ];
  for (const [what, entries, message] of hostile) {
    it(`refuses ${what} and leaves nothing behind`, async () => {
      const zip = await zipFile([{ name: 'host.json', data: Buffer.from('{}') }, ...entries]);
      const out = destination();
      const error = await refusal(extractZip(zip, out, { limits }));
      assert.equal(error.code, 'PACKAGE_INVALID');
      assert.match(error.message, message);
      await assert.rejects(stat(out), { code: 'ENOENT' });
    });
  }

  it('refuses a zip bomb on its declared sizes before writing anything', async () => {
    const bomb = await zipFile([{ name: 'host.json', data: Buffer.from('{}') }, { name: 'zeros.bin', data: Buffer.alloc(64 * 1024 * 1024), method: 'deflate' }]);
    assert.ok((await stat(bomb)).size < 100 * 1024, 'the bomb is small compressed');
    // Its parent does not exist either: had anything been written, mkdir would have made it.
    const out = destination();
    const error = await refusal(extractZip(bomb, out, { limits }));
    assert.equal(error.code, 'PACKAGE_TOO_LARGE');
    assert.match(error.message, /^The package zip declares 64.0 MiB of files; this router accepts at most 4.0 MiB\.$/);
    await assert.rejects(stat(path.dirname(out)), { code: 'ENOENT' });
  });

  it('refuses an entry that would inflate more than the ratio allows, under the size limit', async () => {
    const zip = await zipFile([{ name: 'host.json', data: Buffer.from('{}') }, { name: 'zeros.bin', data: Buffer.alloc(2 * 1024 * 1024), method: 'deflate' }]);
    const out = destination();
    const error = await refusal(extractZip(zip, out, { limits }));
    assert.equal(error.code, 'PACKAGE_TOO_LARGE');
    assert.match(error.message, /^The package zip looks like a zip bomb: its entry "zeros.bin" would inflate \d+ times \(.* to 2.0 MiB\); this router accepts at most 100 times for 1.0 MiB or more\. Nothing was extracted\.$/);
    await assert.rejects(stat(path.dirname(out)), { code: 'ENOENT' });
    // Small entries that compress well are a package's ordinary text, and pass.
    const text = await zipFile([{ name: 'a.js', data: Buffer.alloc(512 * 1024, 0x61), method: 'deflate' }]);
    assert.deepEqual((await extractZip(text, destination(), { limits })).files.map((file) => file.bytes), [512 * 1024]);
  });

  it('refuses many small entries that together inflate more than the ratio allows', async () => {
    const entries = Array.from({ length: 8 }, (_, index) => ({ name: `part-${index}.bin`, data: Buffer.alloc(384 * 1024), method: 'deflate' as const }));
    const out = destination();
    const error = await refusal(extractZip(await zipFile(entries), out, { limits }));
    assert.equal(error.code, 'PACKAGE_TOO_LARGE');
    assert.match(error.message, /its files together would inflate \d+ times \(.* to 3.0 MiB\)/);
    await assert.rejects(stat(path.dirname(out)), { code: 'ENOENT' });
  });

  it('stops inflating an entry at the first byte past the size its headers declare', async () => {
    // The headers say 10 bytes (a harmless ratio); the data inflates to 32 MiB. A later entry is never reached.
    const zip = await zipFile([
      { name: 'host.json', data: Buffer.from('{}') },
      { name: 'liar.bin', data: Buffer.alloc(32 * 1024 * 1024), method: 'deflate', declaredSize: 10 },
      { name: 'after.js', data: Buffer.from('never extracted') },
    ]);
    const generous = resolvePackageLimits({ ...limits, maxUncompressedBytes: 1024 * 1024 * 1024 });
    const out = destination();
    const error = await refusal(extractZip(zip, out, { limits: generous }));
    assert.equal(error.code, 'PACKAGE_INVALID');
    assert.match(error.message, /^The package zip's entry "liar.bin" inflates to more than the 10 bytes its headers declare: the zip is damaged or crafted\. Nothing was kept\.$/);
    await assert.rejects(stat(out), { code: 'ENOENT' });
    const short = await zipFile([{ name: 'short.bin', data: Buffer.from('abc'), method: 'deflate', declaredSize: 5 }]);
    assert.match((await refusal(extractZip(short, destination(), { limits }))).message, /inflates to only 3 bytes, not the 5 bytes its headers declare/);
    const stored = await zipFile([{ name: 'stored.bin', data: Buffer.from('abc'), declaredSize: 4 }]);
    assert.match((await refusal(extractZip(stored, destination(), { limits }))).message, /is stored uncompressed, but its headers give it two sizes \(3 and 4 bytes\)/);
  });

  it('refuses too many entries before extracting any', async () => {
    const zip = await zipFile(Array.from({ length: 51 }, (_, index) => ({ name: `f${index}.js`, data: Buffer.from('x') })));
    const error = await refusal(extractZip(zip, destination(), { limits }));
    assert.equal(error.code, 'PACKAGE_TOO_LARGE');
    assert.match(error.message, /51 entries; this router accepts at most 50/);
  });

  it('refuses a zip larger than the compressed limit without opening it', async () => {
    const zip = await zipFile([{ name: 'random.bin', data: Buffer.from(Array.from({ length: 1100 * 1024 }, (_, index) => (index * 7919) % 251)) }]);
    const error = await refusal(extractZip(zip, destination(), { limits }));
    assert.equal(error.code, 'PACKAGE_TOO_LARGE');
    assert.match(error.message, /The package zip is larger than the 1.0 MiB/);
  });

  it('refuses a file that is not a zip, naming what is wrong', async () => {
    const file = path.join(workDir, 'not-a-zip.zip');
    await writeFile(file, 'this is text');
    const error = await refusal(extractZip(file, destination(), { limits }));
    assert.equal(error.code, 'PACKAGE_INVALID');
    assert.match(error.message, /^The package is not a readable zip: End of central directory record signature not found\. Either not a zip file, or file is truncated\.$/);
  });

  it('refuses a truncated zip', async () => {
    const whole = buildRawZip([{ name: 'a.js', data: Buffer.alloc(4096, 1), method: 'deflate' }]);
    const file = path.join(workDir, 'truncated.zip');
    await writeFile(file, Buffer.concat([whole.subarray(0, 40), whole.subarray(whole.length - 60)]));
    const error = await refusal(extractZip(file, destination(), { limits }));
    assert.equal(error.code, 'PACKAGE_INVALID');
  });
});
