import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { ErrorCode } from '../../../shared/errors/error-catalogue.js';
import { classifyRelease } from '../../../shared/versions/release-classification.js';
import { compareRouteKeys, compareVersions, routeKeyOf } from '../../../shared/versions/semantic-version.js';
import { emptyVersionMap, versionStates, type VersionEntry, type VersionMap, type VersionState } from '../../../shared/versions/version-map.js';

function entry(routeKey: string, state: VersionState, versions: string[], extra: Partial<VersionEntry> = {}): VersionEntry {
  return {
    routeKey, state, versions, latest: versions.at(-1) ?? '', createdAt: '2026-01-01T00:00:00.000Z',
    app: { name: `app-${routeKey}`, url: 'http://127.0.0.1:7101', taskHub: `hub${routeKey.replace('.', 'x')}` }, ...extra,
  };
}

function refuses(map: VersionMap, version: string, code: ErrorCode, message: RegExp): void {
  assert.throws(() => classifyRelease(map, version), (error) => {
    assert.ok(isRouterError(error, code), `expected ${code}, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

const map: VersionMap = {
  current: '1.3',
  versions: [
    entry('1.0', 'decommissioned', ['1.0.0', '1.0.4'], { decommissionedAt: '2026-02-01T00:00:00.000Z' }),
    entry('1.1', 'drained', ['1.1.0']),
    entry('1.2', 'draining', ['1.2.0', '1.2.1']),
    entry('1.3', 'active', ['1.3.0-beta.1', '1.3.0', '1.3.2']),
    entry('1.5', 'failed', ['1.5.0']),
  ],
};

describe('classifyRelease', () => {
  it('keeps a major.minor on the strategy of its first release', () => {
    const mixed: VersionMap = { current: '2.0', versions: [entry('1.3', 'active', ['1.3.0']), entry('2.0', 'active', ['2.0.0'], { strategy: 'orchestration-versioning' })] };
    assert.equal(classifyRelease(mixed, '2.0.1', 'orchestration-versioning').kind, 'patch');
    assert.equal(classifyRelease(mixed, '1.3.1', 'app-routing').kind, 'patch', 'an entry without a strategy was released by app routing');
    assert.equal(classifyRelease(mixed, '2.1.0', 'slot-swap').kind, 'breaking', 'a new major.minor may change strategy');
    for (const [version, strategy, recorded] of [['2.0.1', 'app-routing', 'orchestration-versioning'], ['1.3.1', 'versioned-names', 'app-routing']] as const) {
      assert.throws(() => classifyRelease(mixed, version, strategy), (error) => {
        assert.ok(isRouterError(error, 'STRATEGY_CONFLICT'), String(error));
        assert.match(error.message, new RegExp(`released with ${recorded}.*--strategy ${recorded}`));
        return true;
      });
    }
  });

  it('makes the first release breaking', () => {
    assert.deepEqual(classifyRelease(emptyVersionMap, '0.1.0'), { kind: 'breaking', routeKey: '0.1', version: '0.1.0' });
  });

  it('makes a new, newer major.minor breaking, whatever its patch', () => {
    assert.deepEqual(classifyRelease(map, '1.4.7'), { kind: 'breaking', routeKey: '1.4', version: '1.4.7' });
    assert.deepEqual(classifyRelease(map, '2.0.0-rc.1'), { kind: 'breaking', routeKey: '2.0', version: '2.0.0-rc.1' });
  });

  it('makes a newer version of a live major.minor a patch of its latest', () => {
    assert.deepEqual(classifyRelease(map, '1.3.3'), { kind: 'patch', routeKey: '1.3', version: '1.3.3', previous: '1.3.2' });
    assert.deepEqual(classifyRelease(map, '1.2.2'), { kind: 'patch', routeKey: '1.2', version: '1.2.2', previous: '1.2.1' });
    assert.deepEqual(classifyRelease(map, '1.1.1'), { kind: 'patch', routeKey: '1.1', version: '1.1.1', previous: '1.1.0' });
  });

  it('provisions a failed major.minor anew, even with the same version', () => {
    assert.deepEqual(classifyRelease(map, '1.5.0'), { kind: 'breaking', routeKey: '1.5', version: '1.5.0' });
  });

  it('refuses a version already deployed, naming the deployed one', () => {
    refuses(map, '1.3.2', 'VERSION_EXISTS', /1\.3\.2 is already deployed \(1\.3 runs 1\.3\.2\)/);
    refuses(map, '1.3.0', 'VERSION_EXISTS', /1\.3\.0 is already deployed \(1\.3 runs 1\.3\.2\)/);
  });

  it('refuses an older version of a major.minor, naming the deployed one', () => {
    refuses(map, '1.3.1', 'VERSION_DOWNGRADE', /1\.3\.1 is older than 1\.3\.2, already deployed for 1\.3/);
    refuses(map, '1.3.2-hotfix', 'VERSION_DOWNGRADE', /older than 1\.3\.2/);
  });

  it('refuses a new major.minor below a deployed one', () => {
    refuses({ current: '2.0', versions: [entry('2.0', 'active', ['2.0.1'])] }, '1.9.0', 'VERSION_DOWNGRADE', /would add 1\.9, below 2\.0 \(2\.0\.1\)/);
  });

  it('ignores failed versions when judging a new major.minor', () => {
    const failedAbove: VersionMap = { current: '1.0', versions: [entry('1.0', 'active', ['1.0.0']), entry('3.0', 'failed', ['3.0.0'])] };
    assert.equal(classifyRelease(failedAbove, '2.0.0').kind, 'breaking');
  });

  it('refuses a release of a decommissioned major.minor', () => {
    refuses(map, '1.0.5', 'VERSION_DECOMMISSIONED', /1\.0 was decommissioned at 2026-02-01T00:00:00\.000Z \(its last version was 1\.0\.4\)\. Release it as a new major\.minor/);
  });

  it('refuses a release of a major.minor that is still provisioning', () => {
    refuses({ current: null, versions: [entry('0.1', 'provisioning', ['0.1.0'])] }, '0.1.1', 'VERSION_STATE_CONFLICT', /0\.1 is still provisioning 0\.1\.0/);
  });

  it('refuses an invalid version', () => {
    refuses(map, '1.3', 'INVALID_VERSION', /"1\.3" is not a valid version/);
  });

  it('never accepts a version at or below the latest of its major.minor', () => {
    const version = fc.tuple(fc.nat(3), fc.nat(3), fc.nat(5), fc.option(fc.constantFrom('alpha', 'rc.1'), { nil: undefined }))
      .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === undefined ? '' : `-${pre}`}`);
    const liveState = fc.constantFrom<VersionState>(...versionStates);
    fc.assert(fc.property(fc.uniqueArray(version, { minLength: 1, maxLength: 4 }), liveState, version, (deployedUnsorted, state, candidate) => {
      const routeKey = routeKeyOf(deployedUnsorted[0] ?? '');
      const deployed = deployedUnsorted.filter((v) => routeKeyOf(v) === routeKey).sort(compareVersions);
      const latest = deployed.at(-1) ?? '';
      const target: VersionMap = { current: null, versions: [entry(routeKey, state, deployed)] };
      let result;
      try {
        result = classifyRelease(target, candidate);
      } catch (error) {
        assert.ok(isRouterError(error), String(error));
        return;
      }
      if (routeKeyOf(candidate) === routeKey && state !== 'failed') {
        assert.equal(result.kind, 'patch');
        assert.ok(compareVersions(candidate, latest) > 0, `${candidate} accepted over ${latest}`);
        assert.ok(state !== 'decommissioned' && state !== 'provisioning');
      } else {
        assert.equal(result.kind, 'breaking');
        if (state !== 'failed') assert.ok(compareRouteKeys(result.routeKey, routeKey) > 0, `${candidate} accepted below ${routeKey}`);
      }
    }), { numRuns: 500 });
  });
});
