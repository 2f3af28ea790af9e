import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { VersionEntry } from '../../../shared/versions/version-map.js';
import { compileRoutingTable, type Route } from '../../../router/front-door/routing-table.js';
import {
  checkStartOwnership, isRequestableVersion, resolveInstanceRoute, resolveVersion,
} from '../../../router/front-door/version-resolution.js';
import { taskHubOf, versionEntry, versionMap } from './fixtures/version-maps.js';

const table = compileRoutingTable(versionMap('1.2',
  versionEntry('1.0', 'decommissioned', ['1.0.0', '1.0.1']),
  versionEntry('1.1', 'draining', ['1.1.0', '1.1.4']),
  versionEntry('1.2', 'active', ['1.2.0', '1.2.3']),
  versionEntry('1.3', 'active', ['1.3.0']),
  versionEntry('1.4', 'provisioning', ['1.4.0']),
  versionEntry('1.5', 'failed', ['1.5.0']),
  versionEntry('0.9', 'drained', ['0.9.7']),
), (entry) => entry.routeKey);

function routeKeyOf(result: Route<string> | RouterError): string {
  if (result instanceof RouterError) assert.fail(`expected a route, got ${result.code}: ${result.message}`);
  return result.target;
}

function errorOf(result: Route<unknown> | RouterError | undefined): RouterError {
  if (!(result instanceof RouterError)) assert.fail(`expected an error, got ${result === undefined ? 'nothing' : result.entry.routeKey}`);
  return result;
}

describe('resolveVersion', () => {
  it('sends a request without a version to the current version', () => {
    assert.equal(routeKeyOf(resolveVersion(table, undefined, false)), '1.2');
  });

  it('routes a full version or a major.minor to its app', () => {
    assert.equal(routeKeyOf(resolveVersion(table, '1.3', false)), '1.3');
    assert.equal(routeKeyOf(resolveVersion(table, '1.3.0', false)), '1.3');
    assert.equal(routeKeyOf(resolveVersion(table, '1.2.0', false)), '1.2', 'an earlier patch goes to the app of its major.minor');
  });

  it('refuses a malformed version with INVALID_VERSION', () => {
    for (const bad of ['', 'latest', '1', 'v1.2', '1.2.3.4', '01.2', '1.2 ', ' 1.2', '1.2, 1.3', '1.x']) {
      const error = errorOf(resolveVersion(table, bad, false));
      assert.equal(error.code, 'INVALID_VERSION', bad);
      assert.equal(error.status, 400);
    }
  });

  it('answers VERSION_NOT_FOUND listing the known versions', () => {
    for (const unknown of ['2.0', '1.2.9', '1.9.0']) {
      const error = errorOf(resolveVersion(table, unknown, false));
      assert.equal(error.code, 'VERSION_NOT_FOUND');
      assert.equal(error.status, 404);
      assert.deepEqual(error.details?.knownVersions,
        ['0.9.7', '1.0.0', '1.0.1', '1.1.0', '1.1.4', '1.2.0', '1.2.3', '1.3.0', '1.4.0', '1.5.0']);
      assert.match(error.message, /Known versions: 0\.9\.7, 1\.0\.0/);
    }
  });

  it('does not route to versions that are provisioning or failed', () => {
    assert.match(errorOf(resolveVersion(table, '1.4', false)).message, /still being provisioned/);
    assert.match(errorOf(resolveVersion(table, '1.5.0', false)).message, /failed release/);
    assert.equal(errorOf(resolveVersion(table, '1.4', true)).code, 'VERSION_NOT_FOUND');
  });

  it('refuses new work on a draining or drained version with 410 naming the current one', () => {
    for (const requested of ['1.1', '1.1.4', '0.9']) {
      const error = errorOf(resolveVersion(table, requested, false));
      assert.equal(error.code, 'VERSION_DRAINING');
      assert.equal(error.status, 410);
      assert.equal(error.details?.current, '1.2.3');
      assert.match(error.message, /current version is 1\.2\.3/);
    }
  });

  it('lets instance routes reach a draining version', () => {
    assert.equal(routeKeyOf(resolveVersion(table, '1.1', true)), '1.1');
    assert.equal(routeKeyOf(resolveVersion(table, '0.9.7', true)), '0.9');
  });

  it('answers VERSION_DECOMMISSIONED for a deleted app, even on instance routes', () => {
    for (const allowDraining of [false, true]) {
      const error = errorOf(resolveVersion(table, '1.0.1', allowDraining));
      assert.equal(error.code, 'VERSION_DECOMMISSIONED');
      assert.equal(error.status, 410);
    }
  });

  it('answers NO_CURRENT_VERSION before the first release', () => {
    const empty = compileRoutingTable(versionMap(null), () => undefined);
    const error = errorOf(resolveVersion(empty, undefined, false));
    assert.equal(error.code, 'NO_CURRENT_VERSION');
    assert.equal(error.status, 503);
    assert.equal(errorOf(resolveVersion(empty, '1.0', false)).code, 'VERSION_NOT_FOUND');
  });

  it('answers NO_CURRENT_VERSION when the map names a current version it does not hold', () => {
    const broken = compileRoutingTable(versionMap('3.0', versionEntry('1.0', 'active', ['1.0.0'])), () => undefined);
    assert.equal(errorOf(resolveVersion(broken, undefined, false)).code, 'NO_CURRENT_VERSION');
  });

  it('echoes a hostile header only in a short printable form', () => {
    const error = errorOf(resolveVersion(table, `\u0000${'x'.repeat(500)}`, false));
    assert.ok(error.message.length < 300);
    assert.ok(!error.message.includes('\u0000'));
  });

  it('routes every deployed version, and only those, by property', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.nat(5), fc.nat(5)), { minLength: 1, maxLength: 6, selector: ([a, b]) => `${a}.${b}` })
      .chain((keys) => fc.tuple(
        fc.constant(keys),
        fc.array(fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 3 }), { minLength: keys.length, maxLength: keys.length }),
        fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)),
      ));
    fc.assert(fc.property(entries, ([keys, patches, probe]) => {
      const list: VersionEntry[] = keys.map(([major, minor], i) => versionEntry(`${major}.${minor}`, 'active',
        [...(patches[i] ?? [0])].sort((a, b) => a - b).map((patch) => `${major}.${minor}.${patch}`)));
      const compiled = compileRoutingTable(versionMap(list[0]?.routeKey ?? null, ...list), (entry) => entry.routeKey);
      const requested = probe.join('.');
      const owner = list.find((entry) => entry.versions.includes(requested));
      const result = resolveVersion(compiled, requested, false);
      if (owner === undefined) assert.equal(errorOf(result).code, 'VERSION_NOT_FOUND');
      else assert.equal(routeKeyOf(result), owner.routeKey);
      const majorMinor = `${probe[0]}.${probe[1]}`;
      const byKey = resolveVersion(compiled, majorMinor, false);
      if (keys.some(([a, b]) => `${a}.${b}` === majorMinor)) assert.equal(routeKeyOf(byKey), majorMinor);
      else assert.equal(errorOf(byKey).code, 'VERSION_NOT_FOUND');
    }));
  });
});

describe('isRequestableVersion', () => {
  it('accepts full versions (with pre-release) and major.minor only', () => {
    for (const good of ['0.0', '1.2', '10.20', '1.2.3', '1.2.3-rc.1', '1.2.3+build.5']) assert.ok(isRequestableVersion(good), good);
    for (const bad of ['1', '1.02', 'v1.2.3', '=1.2.3', '1.2.3 ', '^1.2', '1.2.*']) assert.ok(!isRequestableVersion(bad), bad);
  });
});

describe('resolveInstanceRoute', () => {
  it('sends a call about an instance to its owner whatever the header says', () => {
    for (const requested of [undefined, '1.3', '1.2.3', 'junk']) {
      assert.equal(routeKeyOf(resolveInstanceRoute(table, 'i', { taskHub: taskHubOf('1.1') }, requested, false)), '1.1');
    }
  });

  it('goes by the header when the tracking store does not know the instance', () => {
    assert.equal(routeKeyOf(resolveInstanceRoute(table, 'i', undefined, undefined, false)), '1.2');
    assert.equal(routeKeyOf(resolveInstanceRoute(table, 'i', undefined, '1.1', false)), '1.1');
    assert.equal(errorOf(resolveInstanceRoute(table, 'i', undefined, 'junk', true)).code, 'INVALID_VERSION');
  });

  it('lets the current app read an instance of a decommissioned version, and refuses changes to it', () => {
    const owner = { taskHub: taskHubOf('1.0') };
    assert.equal(routeKeyOf(resolveInstanceRoute(table, 'i', owner, '1.3', true)), '1.2');
    const error = errorOf(resolveInstanceRoute(table, 'i', owner, undefined, false));
    assert.equal(error.code, 'VERSION_DECOMMISSIONED');
    assert.match(error.message, /version 1\.0/);
  });

  it('refuses changes to an instance of a task hub no version serves', () => {
    const owner = { taskHub: 'SomeoneElsesHub' };
    assert.equal(routeKeyOf(resolveInstanceRoute(table, 'i', owner, undefined, true)), '1.2');
    const error = errorOf(resolveInstanceRoute(table, 'i', owner, undefined, false));
    assert.equal(error.code, 'VERSION_NOT_FOUND');
    assert.match(error.message, /SomeoneElsesHub/);
  });
});

describe('checkStartOwnership', () => {
  const route = table.byVersion.get('1.2') as Route<string>;

  it('allows a new id or an id the target app already owns', () => {
    assert.equal(checkStartOwnership(table, route, 'i', undefined), undefined);
    assert.equal(checkStartOwnership(table, route, 'i', { taskHub: taskHubOf('1.2') }), undefined);
  });

  it('refuses an id owned by another version with 409', () => {
    const error = errorOf(checkStartOwnership(table, route, 'order-7', { taskHub: taskHubOf('1.1') }));
    assert.equal(error.code, 'INSTANCE_ID_CONFLICT');
    assert.equal(error.status, 409);
    assert.match(error.message, /"order-7" is already used by version 1\.1/);
    assert.equal(errorOf(checkStartOwnership(table, route, 'x', { taskHub: 'OtherHub' })).details?.ownerTaskHub, 'OtherHub');
  });
});
