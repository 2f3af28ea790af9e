import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { isWithinDirectory, packagePathProblem, resolveAllowedPackagePath } from '../../../../router/releases/package/package-path-policy.js';

describe('isWithinDirectory', () => {
  it('is true for the folder and what is under it only', () => {
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv/pkgs'), true);
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv/pkgs/a/b.zip'), true);
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv/pkgs/..hidden'), true);
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv/pkgs-evil/a.zip'), false);
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv'), false);
    assert.equal(isWithinDirectory('/srv/pkgs', '/srv/pkgs/../other'), false);
    assert.equal(isWithinDirectory('/srv/pkgs/', '/srv/pkgs/a'), true);
  });
});

describe('packagePathProblem', () => {
  const allowed = ['/srv/packages', '/mnt/builds'];
  it('accepts paths under a package directory, and refuses the rest with the reason', () => {
    assert.equal(packagePathProblem('/srv/packages/orders/1.2.3', allowed), undefined);
    assert.equal(packagePathProblem('/mnt/builds/a.zip', allowed), undefined);
    assert.match(packagePathProblem('/srv/packages/../secrets/a.zip', allowed) ?? '', /not under the router's package directories \(\/srv\/packages, \/mnt\/builds\)/);
    assert.match(packagePathProblem('/etc/passwd', allowed) ?? '', /not under/);
    assert.match(packagePathProblem('relative/a.zip', allowed) ?? '', /not an absolute path/);
    assert.match(packagePathProblem('/srv/packages/a', []) ?? '', /reads no package directories/);
    assert.match(packagePathProblem('/srv/packages/a\u0000b', allowed) ?? '', /NUL/);
  });

  it('never accepts a path that resolves outside every package directory', () => {
    const segment = fc.constantFrom('..', '.', 'packages', 'srv', 'a', 'evil', '', 'packages-evil');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 7 }), (segments) => {
        const requested = `/${segments.join('/')}`;
        const accepted = packagePathProblem(requested, ['/srv/packages']) === undefined;
        const resolved = path.resolve(requested);
        assert.equal(accepted, resolved === '/srv/packages' || resolved.startsWith('/srv/packages/'), requested);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('resolveAllowedPackagePath', () => {
  let workDir: string;
  let packages: string;
  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'path-policy-'));
    packages = path.join(workDir, 'packages');
    await mkdir(path.join(packages, 'app'), { recursive: true });
    await mkdir(path.join(workDir, 'outside'), { recursive: true });
    await writeFile(path.join(workDir, 'outside', 'secret.zip'), 'x');
    await symlink(path.join(workDir, 'outside'), path.join(packages, 'escape'));
    await symlink(path.join(packages, 'app'), path.join(packages, 'alias'));
    await symlink(packages, path.join(workDir, 'packages-link'));
  });
  after(() => rm(workDir, { recursive: true, force: true }));

  it('returns the real path of a package inside', async () => {
    assert.equal(await resolveAllowedPackagePath(path.join(packages, 'app'), [packages]), path.join(packages, 'app'));
    assert.equal(await resolveAllowedPackagePath(path.join(packages, 'alias'), [packages]), path.join(packages, 'app'));
  });

  it('follows a package directory that is itself a link', async () => {
    const linked = path.join(workDir, 'packages-link');
    assert.equal(await resolveAllowedPackagePath(path.join(linked, 'app'), [linked]), path.join(packages, 'app'));
  });

  it('refuses a link inside that leads outside', async () => {
    await assert.rejects(resolveAllowedPackagePath(path.join(packages, 'escape', 'secret.zip'), [packages]), (error: unknown) => {
      assert.ok(isRouterError(error, 'PACKAGE_NOT_ALLOWED'));
      assert.match(error.message, /through a symbolic link, to .*outside\/secret.zip, outside the package directories/);
      return true;
    });
  });

  it('refuses a climb out and reports a missing package as such', async () => {
    await assert.rejects(resolveAllowedPackagePath(`${packages}/../outside/secret.zip`, [packages]), (error: unknown) => isRouterError(error, 'PACKAGE_NOT_ALLOWED'));
    await assert.rejects(resolveAllowedPackagePath(path.join(packages, 'missing.zip'), [packages]), (error: unknown) => {
      assert.ok(isRouterError(error, 'PACKAGE_INVALID'));
      assert.match(error.message, /does not exist on the router's machine/);
      return true;
    });
  });
});
