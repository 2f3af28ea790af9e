import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { devDependencyFilter, packageFoldersOf, productionPackagePaths } from '../../../../deployer/platform/package/production-dependencies.js';

// The shape npm 7+ writes (lockfile v2/v3): a production tree, a dev tree, an optional dependency
// of a dev one (dev and optional), one needed both ways (devOptional), a nested copy, a scoped one.
const lock = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', dependencies: { dayjs: '^1' }, devDependencies: { typescript: '^5' } },
    'node_modules/dayjs': { version: '1.11.0' },
    'node_modules/@scope/words': { version: '1.0.0' },
    'node_modules/typescript': { version: '5.0.0', dev: true },
    'node_modules/fsevents': { version: '2.0.0', dev: true, optional: true },
    'node_modules/either-way': { version: '1.0.0', devOptional: true },
    'node_modules/dayjs/node_modules/inner': { version: '1.0.0' },
    'node_modules/typescript/node_modules/inner': { version: '2.0.0', dev: true },
    'node_modules/left-over': { version: '1.0.0', extraneous: true },
  },
};

describe('productionPackagePaths', () => {
  it('keeps what npm ci --omit=dev installs: neither dev nor extraneous packages', () => {
    assert.deepEqual([...productionPackagePaths(lock) ?? []].sort(), [
      'node_modules/@scope/words', 'node_modules/dayjs', 'node_modules/dayjs/node_modules/inner', 'node_modules/either-way',
    ]);
  });

  it('cannot tell from a lockfile without a packages map (npm 6)', () => {
    assert.equal(productionPackagePaths({ lockfileVersion: 1 }), undefined);
    assert.equal(devDependencyFilter({ lockfileVersion: 1 })('node_modules/typescript'), false);
  });
});

describe('devDependencyFilter', () => {
  const skip = devDependencyFilter(lock);

  it('leaves out dev package folders and everything in them', () => {
    for (const dev of ['node_modules/typescript', 'node_modules/typescript/lib/tsc.js', 'node_modules/typescript/node_modules/inner', 'node_modules/fsevents', 'node_modules/left-over']) {
      assert.equal(skip(dev), true, dev);
    }
  });

  it('keeps production packages, packages it does not know, and everything outside node_modules', () => {
    for (const kept of ['node_modules', 'node_modules/dayjs/index.js', 'node_modules/dayjs/node_modules/inner/x.js', 'node_modules/@scope/words/package.json',
      'node_modules/either-way', 'node_modules/installed-without-saving/index.js', 'node_modules/.package-lock.json', 'src/typescript.js', 'host.json']) {
      assert.equal(skip(kept), false, kept);
    }
  });
});

describe('packageFoldersOf', () => {
  it('names each package folder on the way, scoped or nested', () => {
    assert.deepEqual(packageFoldersOf('node_modules/a/node_modules/@s/b/lib/x.js'), ['node_modules/a', 'node_modules/a/node_modules/@s/b']);
    assert.deepEqual(packageFoldersOf('node_modules/@s'), []);
    assert.deepEqual(packageFoldersOf('src/index.js'), []);
  });
});
