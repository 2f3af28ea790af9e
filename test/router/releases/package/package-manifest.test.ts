import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { checkPackageRoot } from '../../../../router/releases/package/package-manifest.js';

const hostJson = '{ "version": "2.0", "extensions": {} }';
const packageJson = (version: unknown): string => JSON.stringify({ name: 'orders', version, main: 'dist/*.js' });
const paths = ['host.json', 'package.json', 'dist/index.js'];

function refusal(action: () => unknown): { code: string; message: string; details: unknown } {
  try {
    action();
  } catch (error) {
    assert.ok(isRouterError(error));
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected a refusal');
}

describe('checkPackageRoot', () => {
  it('accepts a package whose package.json has the released version', () => {
    assert.deepEqual(checkPackageRoot({ paths, hostJson, packageJson: packageJson('1.2.3') }, '1.2.3'), { name: 'orders', version: '1.2.3', dependencies: [] });
    assert.deepEqual(checkPackageRoot({ paths, hostJson: `\uFEFF${hostJson}`, packageJson: '{"version":"2.0.0-beta.1"}' }, '2.0.0-beta.1'), {
      name: undefined,
      version: '2.0.0-beta.1',
      dependencies: [],
    });
    assert.deepEqual(checkPackageRoot({ paths, hostJson, packageJson: '{"version":"1.2.3","dependencies":{"dayjs":"^1","@s/x":"2"}}' }, '1.2.3').dependencies, ['dayjs', '@s/x']);
    assert.equal(refusal(() => checkPackageRoot({ paths, hostJson, packageJson: '{"version":"1.2.3","dependencies":["dayjs"]}' }, '1.2.3')).code, 'PACKAGE_INVALID');
  });

  it('names both versions when they differ', () => {
    const error = refusal(() => checkPackageRoot({ paths, hostJson, packageJson: packageJson('1.2.4') }, '1.2.3'));
    assert.equal(error.code, 'PACKAGE_VERSION_MISMATCH');
    assert.match(error.message, /package.json says version "1.2.4", but the release is for 1.2.3/);
    assert.deepEqual(error.details, { releasedVersion: '1.2.3', packageVersion: '1.2.4' });
  });

  it('refuses every version but the exact one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('v1.2.3', '1.2.3 ', '1.2', '1.2.3+build', '01.2.3', '1.2.3-0')), (other) => {
        fc.pre(other !== '1.2.3');
        assert.equal(refusal(() => checkPackageRoot({ paths, hostJson, packageJson: packageJson(other) }, '1.2.3')).code, 'PACKAGE_VERSION_MISMATCH');
      }),
    );
  });

  it('refuses a package.json without a version, saying what to set', () => {
    const error = refusal(() => checkPackageRoot({ paths, hostJson, packageJson: '{"name":"x"}' }, '1.2.3'));
    assert.equal(error.code, 'PACKAGE_VERSION_MISMATCH');
    assert.match(error.message, /has no "version"; set it to 1.2.3/);
    assert.equal(refusal(() => checkPackageRoot({ paths, hostJson, packageJson: packageJson(123) }, '1.2.3')).code, 'PACKAGE_VERSION_MISMATCH');
  });

  it('refuses missing or malformed root files', () => {
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson: undefined, packageJson: packageJson('1.2.3') }, '1.2.3')).message, /no host.json at its root/);
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson, packageJson: undefined }, '1.2.3')).message, /no package.json at its root/);
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson: '{', packageJson: packageJson('1.2.3') }, '1.2.3')).message, /host.json is not valid JSON/);
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson: '[]', packageJson: packageJson('1.2.3') }, '1.2.3')).message, /host.json must hold a JSON object/);
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson: '{"version":"1.0"}', packageJson: packageJson('1.2.3') }, '1.2.3')).message, /"version": "2.0".*not "1.0"/);
    assert.match(refusal(() => checkPackageRoot({ paths, hostJson, packageJson: 'null' }, '1.2.3')).message, /package.json must hold a JSON object/);
  });

  it('points at the folder when the package was zipped with its folder around it', () => {
    const wrapped = ['orders-app/host.json', 'orders-app/package.json', 'orders-app/dist/index.js'];
    const error = refusal(() => checkPackageRoot({ paths: wrapped, hostJson: undefined, packageJson: undefined }, '1.2.3'));
    assert.equal(error.code, 'PACKAGE_INVALID');
    assert.match(error.message, /It is in the folder "orders-app\/": package the folder's contents, not the folder itself/);
    const scattered = ['a/host.json', 'b/package.json'];
    assert.doesNotMatch(refusal(() => checkPackageRoot({ paths: scattered, hostJson: undefined, packageJson: undefined }, '1.2.3')).message, /It is in the folder/);
  });
});
