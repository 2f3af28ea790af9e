import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findEntryPointFiles, globToRegExp, hasGlobMagic } from '../../../../deployer/host/app-loading/entry-point-glob.js';

describe('entry point globs', () => {
  it('compiles *, **, ?, [...] and {a,b} like globby', () => {
    const cases: [string, string, boolean][] = [
      ['dist/src/functions/*.js', 'dist/src/functions/orders.js', true],
      ['dist/src/functions/*.js', 'dist/src/functions/nested/orders.js', false],
      ['dist/src/functions/*.js', 'dist/src/functions/.hidden.js', false],
      ['dist/**/*.js', 'dist/a.js', true],
      ['dist/**/*.js', 'dist/a/b/c.js', true],
      ['dist/**/*.js', 'dist/.cache/c.js', false],
      ['src/{orders,billing}.js', 'src/billing.js', true],
      ['src/{orders,billing}.js', 'src/other.js', false],
      ['src/file?.js', 'src/file1.js', true],
      ['src/file?.js', 'src/file10.js', false],
      ['src/[ab].js', 'src/b.js', true],
      ['src/[!ab].js', 'src/b.js', false],
      ['./index.js', 'index.js', true],
      ['src/*.{js,mjs}', 'src/x.mjs', true],
    ];
    for (const [pattern, file, expected] of cases) {
      assert.equal(globToRegExp(pattern).test(file), expected, `${pattern} vs ${file}`);
    }
    assert.equal(hasGlobMagic('dist/index.js'), false);
    assert.equal(hasGlobMagic('dist/*.js'), true);
  });

  describe('on disk', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'entry-glob-'));
      for (const file of ['dist/functions/b.js', 'dist/functions/a.js', 'dist/functions/a.js.map', 'dist/functions/sub/c.js', 'node_modules/x/index.js', 'index.js']) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), '');
      }
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('lists matching files sorted, relative to the app', async () => {
      assert.deepEqual(await findEntryPointFiles(dir, 'dist/functions/*.js'), ['dist/functions/a.js', 'dist/functions/b.js']);
      assert.deepEqual(await findEntryPointFiles(dir, 'dist/**/*.js'), ['dist/functions/a.js', 'dist/functions/b.js', 'dist/functions/sub/c.js']);
    });

    it('does not search node_modules unless the pattern names it', async () => {
      assert.deepEqual(await findEntryPointFiles(dir, '**/index.js'), ['index.js']);
      assert.deepEqual(await findEntryPointFiles(dir, 'node_modules/*/index.js'), ['node_modules/x/index.js']);
    });

    it('resolves a plain path, and finds nothing for a missing file or directory', async () => {
      assert.deepEqual(await findEntryPointFiles(dir, './index.js'), ['index.js']);
      assert.deepEqual(await findEntryPointFiles(dir, 'missing.js'), []);
      assert.deepEqual(await findEntryPointFiles(dir, 'nowhere/*.js'), []);
    });
  });
});
