import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionMapProblem } from '../../../shared/versions/version-map-validation.js';
import { emptyVersionMap, type VersionMap } from '../../../shared/versions/version-map.js';

const valid: VersionMap = {
  current: '1.2',
  versions: [{
    routeKey: '1.2', state: 'active', versions: ['1.2.0', '1.2.1-rc.1'], latest: '1.2.1-rc.1',
    app: { name: 'a', url: 'http://127.0.0.1:7101', taskHub: 'Hub' }, createdAt: '2026-01-01T00:00:00Z',
    instances: { pending: 0, running: 1, suspended: 0, countedAt: '2026-01-01T00:00:00Z' },
  }],
};

function withEntry(change: Record<string, unknown>): unknown {
  return { ...valid, versions: [{ ...valid.versions[0], ...change }] };
}

describe('versionMapProblem', () => {
  it('accepts valid maps, keeping fields it does not know', () => {
    assert.equal(versionMapProblem(emptyVersionMap), undefined);
    assert.equal(versionMapProblem(valid), undefined);
    assert.equal(versionMapProblem({ ...valid, futureField: 1 }), undefined);
  });

  const cases: [string, unknown, RegExp][] = [
    ['null', null, /not an object/],
    ['no versions', { current: null }, /"versions" is not an array/],
    ['a dangling current', { current: '9.9', versions: [] }, /"current" names 9\.9, which has no entry/],
    ['a numeric current', { ...valid, current: 1.2 }, /"current" is neither null nor a route key/],
    ['a bad route key', withEntry({ routeKey: '1.2.0' }), /versions\[0\]: "routeKey" is not a major\.minor/],
    ['an unknown state', withEntry({ state: 'paused' }), /"state" is not a version state/],
    ['no versions in an entry', withEntry({ versions: [] }), /"versions" is not a non-empty array/],
    ['a bad version', withEntry({ versions: ['v1.2.0'], latest: 'v1.2.0' }), /holds something that is not a version/],
    ['a wrong latest', withEntry({ latest: '1.2.0' }), /"latest" is not the last of "versions"/],
    ['an app without a task hub', withEntry({ app: { name: 'a', url: 'u' } }), /"app" lacks/],
    ['no createdAt', withEntry({ createdAt: 5 }), /"createdAt" is not a string/],
    ['a numeric drainedAt', withEntry({ drainedAt: 5 }), /"drainedAt" is not a string/],
    ['fractional counts', withEntry({ instances: { pending: 0.5, running: 0, suspended: 0, countedAt: 'x' } }), /"instances" is not a set of counts/],
    ['a duplicate route key', { current: null, versions: [valid.versions[0], valid.versions[0]] }, /versions\[1\]: route key 1\.2 appears twice/],
  ];
  for (const [name, value, reason] of cases) {
    it(`names the problem with ${name}`, () => {
      assert.match(versionMapProblem(value) ?? 'accepted', reason);
    });
  }
});
