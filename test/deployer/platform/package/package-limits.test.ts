import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { checkDeclaredZipSizes, defaultPackageLimits, PackageBudget, resolvePackageLimits } from '../../../../deployer/platform/package/package-limits.js';

describe('resolvePackageLimits', () => {
  it('fills in the defaults and refuses limits that are not positive whole numbers', () => {
    assert.deepEqual(resolvePackageLimits({ maxEntries: 10 }), { ...defaultPackageLimits, maxEntries: 10 });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => resolvePackageLimits({ maxUncompressedBytes: bad }), (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && /maxUncompressedBytes/.test(error.message));
    }
  });
});

describe('PackageBudget', () => {
  it('lets through exactly what fits and refuses the first byte or entry over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 30 }), (maxBytes, chunks) => {
        const budget = new PackageBudget(resolvePackageLimits({ maxUncompressedBytes: maxBytes, maxEntries: 1000 }));
        let total = 0;
        for (const chunk of chunks) {
          total += chunk;
          if (total > maxBytes) {
            assert.throws(() => budget.addBytes('f', chunk), (error: unknown) => isRouterError(error, 'PACKAGE_TOO_LARGE'));
            return;
          }
          budget.addBytes('f', chunk);
        }
        assert.equal(budget.bytes, total);
      }),
    );
  });

  it('refuses a declared size that would not fit before any byte is read', () => {
    const budget = new PackageBudget(resolvePackageLimits({ maxUncompressedBytes: 100, maxEntries: 2 }));
    budget.addBytes('a', 60);
    budget.reserve('b', 40);
    assert.throws(() => budget.reserve('b', 41), /come to more than the 100 bytes this router accepts \(exceeded at "b"\)/);
    budget.addEntry('a');
    budget.addEntry('b');
    assert.throws(() => budget.addEntry('c'), /more than 2 files and folders \(reached at "c"\)/);
    assert.equal(budget.entries, 3);
  });
});

describe('checkDeclaredZipSizes', () => {
  const limits = resolvePackageLimits({ maxUncompressedBytes: 64 * 1024 * 1024, maxCompressionRatio: 100, compressionRatioFromBytes: 1024 * 1024 });
  const refusedAs = (pattern: RegExp) => (error: unknown) => isRouterError(error, 'PACKAGE_TOO_LARGE') && pattern.test(error.message);

  it('lets through exactly the ratio, and any ratio below the size it applies from', () => {
    checkDeclaredZipSizes([{ path: 'a', compressedBytes: 10_486, uncompressedBytes: 1_048_600 }], limits);
    checkDeclaredZipSizes([{ path: 'small', compressedBytes: 0, uncompressedBytes: 1024 * 1024 - 1 }], limits);
    checkDeclaredZipSizes([], limits);
  });

  it('refuses one byte over the ratio, an entry from nothing, the whole over the ratio, and the total over the limit', () => {
    assert.throws(() => checkDeclaredZipSizes([{ path: 'a', compressedBytes: 10_486, uncompressedBytes: 1_048_601 }], limits), refusedAs(/its entry "a" would inflate 100 times/));
    assert.throws(() => checkDeclaredZipSizes([{ path: 'b', compressedBytes: 0, uncompressedBytes: 1024 * 1024 }], limits), refusedAs(/its entry "b" would inflate from nothing/));
    const parts = Array.from({ length: 4 }, (_, index) => ({ path: `p${index}`, compressedBytes: 2_000, uncompressedBytes: 512 * 1024 }));
    assert.throws(() => checkDeclaredZipSizes(parts, limits), refusedAs(/its files together would inflate 262 times/));
    assert.throws(() => checkDeclaredZipSizes([{ path: 'c', compressedBytes: 60 * 1024 * 1024, uncompressedBytes: 64 * 1024 * 1024 + 1 }], limits), refusedAs(/declares 64.0 MiB of files; this router accepts at most 64.0 MiB/));
  });
});
