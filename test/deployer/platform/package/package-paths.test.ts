import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isLocalOnlyPath, normalizePackagePath, zipEntryIsExecutable, zipEntryKind } from '../../../../deployer/platform/package/package-paths.js';

describe('normalizePackagePath', () => {
  const accepted: [string, string, boolean][] = [
    ['host.json', 'host.json', false],
    ['dist/src/functions/orders.js', 'dist/src/functions/orders.js', false],
    ['dist/', 'dist', true],
    ['./host.json', 'host.json', false],
    ['dist/./index.js', 'dist/index.js', false],
    ['weird name with spaces/ü.js', 'weird name with spaces/ü.js', false],
    ['a..b/c..', 'a..b/c..', false],
    ['...', '...', false],
    ['dir:colon/file', 'dir:colon/file', false],
    ['./', '', true],
  ];
  for (const [input, normalized, isDirectory] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      assert.deepEqual(normalizePackagePath(input), { ok: true, path: normalized, isDirectory });
    });
  }

  const refused: [string, RegExp][] = [
    ['', /empty path/],
    ['/etc/passwd', /absolute/],
    ['//server/share', /absolute/],
    ['C:/Windows/win.ini', /drive letter/],
    ['c:relative', /drive letter/],
    ['..', /climbs out/],
    ['../host.json', /climbs out/],
    ['dist/../../host.json', /climbs out/],
    ['dist/..', /climbs out/],
    ['dist/../', /climbs out/],
    ['dist\\..\\..\\evil.js', /backslash/],
    ['a//b', /empty folder name/],
    ['a/b//', /empty folder name/],
    ['nul\u0000byte', /control characters/],
    ['line\nbreak', /control characters/],
    ['.', /names the package root/],
    [`${'a'.repeat(256)}/x`, /longer than 255 bytes/],
    [`${'ab/'.repeat(400)}x`, /longer than 1024/],
  ];
  for (const [input, problem] of refused) {
    it(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => {
      const result = normalizePackagePath(input);
      assert.equal(result.ok, false);
      assert.match((result as { problem: string }).problem, problem);
    });
  }

  it('never accepts a path that lands outside the package once joined to it', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', 'a', 'b.js', '...', 'C:', '\\..', '..\\', '~', '%2e%2e', '\u0000'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean(), (segments, leadingSlash, trailingSlash) => {
        const name = `${leadingSlash ? '/' : ''}${segments.join('/')}${trailingSlash ? '/' : ''}`;
        const result = normalizePackagePath(name);
        if (!result.ok) return;
        const root = '/srv/package';
        const target = path.posix.resolve(root, result.path);
        assert.ok(target === root ? result.path === '' : target.startsWith(`${root}/`), `${JSON.stringify(name)} → ${target}`);
        assert.ok(!result.path.split('/').includes('..'));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every path made of ordinary names as it is', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,20}$/).filter((text) => text !== '.' && text !== '..');
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 8 }), (segments) => {
        assert.deepEqual(normalizePackagePath(segments.join('/')), { ok: true, path: segments.join('/'), isDirectory: false });
      }),
    );
  });
});

describe('isLocalOnlyPath', () => {
  it('leaves out .git, .data and the root local.settings.json, nothing else', () => {
    assert.equal(isLocalOnlyPath('.git'), true);
    assert.equal(isLocalOnlyPath('.git/config'), true);
    assert.equal(isLocalOnlyPath('.data/azurite/table.json'), true);
    assert.equal(isLocalOnlyPath('local.settings.json'), true);
    assert.equal(isLocalOnlyPath('src/local.settings.json'), false);
    assert.equal(isLocalOnlyPath('node_modules/x/index.js'), false);
    assert.equal(isLocalOnlyPath('node_modules/.bin'), true);
    assert.equal(isLocalOnlyPath('node_modules/.bin/uuid'), true);
    assert.equal(isLocalOnlyPath('node_modules/x/node_modules/.bin/tool'), true);
    assert.equal(isLocalOnlyPath('src/.bin/kept'), false);
    assert.equal(isLocalOnlyPath('.gitignore'), false);
    assert.equal(isLocalOnlyPath('data/.git'), false);
  });
});

describe('zipEntryKind', () => {
  const unix = (3 << 8) | 20;
  const attributes = (mode: number): number => (mode << 16) >>> 0;
  it('reads the Unix file type a Unix creator wrote', () => {
    assert.equal(zipEntryKind({ fileName: 'a.js', versionMadeBy: unix, externalFileAttributes: attributes(0o100644) }), 'file');
    assert.equal(zipEntryKind({ fileName: 'dir/', versionMadeBy: unix, externalFileAttributes: attributes(0o040755) }), 'directory');
    assert.equal(zipEntryKind({ fileName: 'link', versionMadeBy: unix, externalFileAttributes: attributes(0o120777) }), 'symlink');
    assert.equal(zipEntryKind({ fileName: 'link/', versionMadeBy: unix, externalFileAttributes: attributes(0o120777) }), 'symlink');
    assert.equal(zipEntryKind({ fileName: 'fifo', versionMadeBy: unix, externalFileAttributes: attributes(0o010644) }), 'other');
    assert.equal(zipEntryKind({ fileName: 'device', versionMadeBy: unix, externalFileAttributes: attributes(0o020644) }), 'other');
  });
  it('falls back on the name (and the DOS directory bit) when there is no Unix mode', () => {
    assert.equal(zipEntryKind({ fileName: 'dir/', versionMadeBy: unix, externalFileAttributes: 0 }), 'directory');
    assert.equal(zipEntryKind({ fileName: 'a.js', versionMadeBy: 20, externalFileAttributes: 0x20 }), 'file');
    assert.equal(zipEntryKind({ fileName: 'dir', versionMadeBy: 20, externalFileAttributes: 0x10 }), 'directory');
    // A DOS creator's upper bits mean nothing: they are not read as a Unix link.
    assert.equal(zipEntryKind({ fileName: 'a.js', versionMadeBy: 20, externalFileAttributes: attributes(0o120777) }), 'file');
  });
  it('keeps the executable bit only from a Unix creator', () => {
    assert.equal(zipEntryIsExecutable({ versionMadeBy: unix, externalFileAttributes: attributes(0o100755) }), true);
    assert.equal(zipEntryIsExecutable({ versionMadeBy: unix, externalFileAttributes: attributes(0o100644) }), false);
    assert.equal(zipEntryIsExecutable({ versionMadeBy: 20, externalFileAttributes: attributes(0o100755) }), false);
  });
});
