import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import {
  compareRouteKeys, compareVersions, parseRouteKey, parseVersion, parseVersionSelector, routeKeyOf,
} from '../../../shared/versions/semantic-version.js';

const component = fc.nat({ max: 100_000 });
const prerelease = fc.constantFrom('alpha', 'beta.1', 'rc.2', '0', 'x-y');

function assertInvalid(action: () => unknown, input: string, expected: RegExp): void {
  assert.throws(action, (error) => {
    assert.ok(isRouterError(error, 'INVALID_VERSION'), `expected INVALID_VERSION, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.ok(error.message.includes(`"${input.slice(0, 64)}`), `the message should echo the input: ${error.message}`);
    assert.match(error.message, expected);
    return true;
  });
}

describe('parseVersion', () => {
  it('reads major, minor and patch of any canonical version', () => {
    fc.assert(fc.property(component, component, component, (major, minor, patch) => {
      const text = `${major}.${minor}.${patch}`;
      assert.deepEqual(parseVersion(text), { text, major, minor, patch, prerelease: false });
    }));
  });

  it('accepts a prerelease, which sorts before its release', () => {
    assert.deepEqual(parseVersion('1.3.0-beta.1'), { text: '1.3.0-beta.1', major: 1, minor: 3, patch: 0, prerelease: true });
    assert.ok(compareVersions('1.3.0-beta.1', '1.3.0') < 0);
    assert.ok(compareVersions('1.3.0-beta.2', '1.3.0-beta.10') < 0);
  });

  for (const input of ['1.2', '1', '', 'latest', 'v1.2.3', '=1.2.3', ' 1.2.3', '1.2.3 ', '01.2.3', '1.2.3.4', '1.2.3-', '1.2.3-01', '1.2.3+build.5', '1.2.3-beta+exp', '99999999999999999.0.0']) {
    it(`refuses ${JSON.stringify(input)}, naming it and the expected form`, () => {
      assertInvalid(() => parseVersion(input), input, /expected a full semantic version such as "1\.2\.3"/);
    });
  }

  it('truncates a long input it echoes', () => {
    const input = `1.2.3-${'a'.repeat(500)}!`;
    assert.throws(() => parseVersion(input), (error) => {
      assert.ok(isRouterError(error, 'INVALID_VERSION'));
      assert.ok(error.message.length < 300);
      assert.ok(error.message.includes('…'));
      return true;
    });
  });
});

describe('parseVersionSelector', () => {
  it('reads "major.minor" as a route key', () => {
    fc.assert(fc.property(component, component, (major, minor) => {
      assert.deepEqual(parseVersionSelector(`${major}.${minor}`), { kind: 'routeKey', routeKey: `${major}.${minor}` });
    }));
  });

  it('reads a full version with its route key', () => {
    const selector = parseVersionSelector('2.10.7-rc.1');
    assert.equal(selector.kind, 'version');
    assert.equal(selector.routeKey, '2.10');
    assert.equal(selector.kind === 'version' ? selector.version.text : undefined, '2.10.7-rc.1');
  });

  for (const input of ['1', '1.02', '1.2.x', '1.x', 'v1.2', '1.2.', '.2', '9007199254740993.0', '1.2.3+b', '*']) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assertInvalid(() => parseVersionSelector(input), input, /expected a full version such as "1\.2\.3" or a major\.minor such as "1\.2"/);
    });
  }
});

describe('parseRouteKey', () => {
  it('accepts major.minor only', () => {
    assert.equal(parseRouteKey('3.14'), '3.14');
    assertInvalid(() => parseRouteKey('3.14.1'), '3.14.1', /expected a major\.minor/);
    assertInvalid(() => parseRouteKey('03.1'), '03.1', /expected a major\.minor/);
  });
});

describe('routeKeyOf', () => {
  it('ignores the patch and any prerelease', () => {
    fc.assert(fc.property(component, component, component, component, fc.option(prerelease, { nil: undefined }), (major, minor, p1, p2, pre) => {
      const a = `${major}.${minor}.${p1}`;
      const b = `${major}.${minor}.${p2}${pre === undefined ? '' : `-${pre}`}`;
      assert.equal(routeKeyOf(a), `${major}.${minor}`);
      assert.equal(routeKeyOf(parseVersion(b)), routeKeyOf(a));
    }));
  });

  it('separates different major.minor lines', () => {
    fc.assert(fc.property(component, component, component, component, (major, minor, otherMajor, otherMinor) => {
      fc.pre(major !== otherMajor || minor !== otherMinor);
      assert.notEqual(routeKeyOf(`${major}.${minor}.0`), routeKeyOf(`${otherMajor}.${otherMinor}.0`));
    }));
  });

  it('refuses an invalid version', () => {
    assertInvalid(() => routeKeyOf('1.2'), '1.2', /expected a full semantic version/);
  });
});

describe('compareRouteKeys', () => {
  it('orders numerically, not as text', () => {
    assert.ok(compareRouteKeys('1.10', '1.9') > 0);
    assert.ok(compareRouteKeys('10.0', '9.99') > 0);
    assert.equal(compareRouteKeys('2.3', '2.3'), 0);
  });

  it('agrees with the order of the versions in those lines', () => {
    fc.assert(fc.property(component, component, component, component, (a, b, c, d) => {
      assert.equal(Math.sign(compareRouteKeys(`${a}.${b}`, `${c}.${d}`)), Math.sign(compareVersions(`${a}.${b}.0`, `${c}.${d}.0`)));
    }));
  });
});
