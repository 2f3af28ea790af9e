import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { compareRouteKeys, compareVersions } from '../../../shared/versions/semantic-version.js';
import {
  activate, drain, findEntry, makeCurrent, markDecommissioned, markDrained, markFailed, markSupersededDraining,
  recordInstanceCounts, recordPatch, registerProvisioning, supersededRouteKeys,
} from '../../../shared/versions/version-map-operations.js';
import { emptyVersionMap, versionStates, type AppRef, type VersionMap, type VersionState } from '../../../shared/versions/version-map.js';

const at = '2026-03-01T12:00:00.000Z';
const later = '2026-03-02T12:00:00.000Z';
const appFor = (routeKey: string): AppRef => ({ name: `app-${routeKey}`, url: `http://127.0.0.1:71${routeKey.replace('.', '')}`, taskHub: `Hub${routeKey.replace('.', 'v')}` });

function released(map: VersionMap, version: string): VersionMap {
  const routeKey = version.split('.').slice(0, 2).join('.');
  return activate(registerProvisioning(map, { version, app: appFor(routeKey), at }), routeKey);
}

function stateOf(map: VersionMap, routeKey: string): string | undefined {
  return findEntry(map, routeKey)?.state;
}

function throwsCode(action: () => unknown, code: string, message?: RegExp): void {
  assert.throws(action, (error) => {
    assert.ok(isRouterError(error), String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('version map operations', () => {
  it('registers a provisioning app, then activates it as the first current version', () => {
    const provisioning = registerProvisioning(emptyVersionMap, { version: '1.0.0', app: appFor('1.0'), at });
    assert.deepEqual(provisioning, {
      current: null,
      versions: [{ routeKey: '1.0', state: 'provisioning', versions: ['1.0.0'], latest: '1.0.0', app: appFor('1.0'), createdAt: at }],
    });
    const active = activate(provisioning, '1.0');
    assert.equal(active.current, '1.0');
    assert.equal(stateOf(active, '1.0'), 'active');
  });

  it('records the strategy a new major.minor is released with, and keeps it through its patches', () => {
    const provisioning = registerProvisioning(emptyVersionMap, { version: '2.0.0', app: appFor('2.0'), at, strategy: 'slot-swap' });
    assert.equal(provisioning.versions[0]?.strategy, 'slot-swap');
    const patched = recordPatch(activate(provisioning, '2.0'), '2.0.1');
    assert.equal(patched.versions[0]?.strategy, 'slot-swap');
  });

  it('does not move current when a later version is activated', () => {
    const map = released(released(emptyVersionMap, '1.0.0'), '1.1.0');
    assert.equal(map.current, '1.0');
    assert.deepEqual(map.versions.map((e) => e.routeKey), ['1.0', '1.1']);
  });

  it('refuses to register a patch as a new app, or a patch with no app', () => {
    const map = released(emptyVersionMap, '1.0.0');
    throwsCode(() => registerProvisioning(map, { version: '1.0.1', app: appFor('1.0'), at }), 'VERSION_STATE_CONFLICT', /1\.0\.1 is a patch of 1\.0/);
    throwsCode(() => recordPatch(map, '1.1.0'), 'VERSION_NOT_FOUND', /no app serves 1\.1 yet/);
    throwsCode(() => recordPatch(map, '1.0.0'), 'VERSION_EXISTS');
  });

  it('records patches in order, keeping the app', () => {
    const map = recordPatch(recordPatch(released(emptyVersionMap, '2.3.0'), '2.3.1'), '2.3.4');
    assert.deepEqual(findEntry(map, '2.3')?.versions, ['2.3.0', '2.3.1', '2.3.4']);
    assert.equal(findEntry(map, '2.3')?.latest, '2.3.4');
    assert.deepEqual(findEntry(map, '2.3')?.app, appFor('2.3'));
  });

  it('replaces a failed provisioning when the major.minor is released again', () => {
    const failed = markFailed(registerProvisioning(released(emptyVersionMap, '1.0.0'), { version: '1.1.0', app: appFor('1.1'), at }), '1.1');
    assert.equal(stateOf(failed, '1.1'), 'failed');
    const retried = registerProvisioning(failed, { version: '1.1.0', app: { ...appFor('1.1'), name: 'retry' }, at: later });
    assert.equal(findEntry(retried, '1.1')?.state, 'provisioning');
    assert.equal(findEntry(retried, '1.1')?.app.name, 'retry');
    assert.equal(retried.versions.length, 2);
  });

  it('makes the newest active version current by default, and supersedes older ones', () => {
    const map = makeCurrent(released(released(released(emptyVersionMap, '1.0.0'), '1.9.0'), '1.10.0'));
    assert.equal(map.current, '1.10');
    assert.deepEqual(supersededRouteKeys(map), ['1.0', '1.9']);
    const drained = markSupersededDraining(map);
    assert.deepEqual(drained.versions.map((e) => [e.routeKey, e.state]), [['1.0', 'draining'], ['1.9', 'draining'], ['1.10', 'active']]);
    assert.equal(markSupersededDraining(drained), drained, 'nothing left to supersede: the same map');
  });

  it('rolls back to a draining or drained version, which becomes active again', () => {
    const draining = markSupersededDraining(makeCurrent(released(released(emptyVersionMap, '1.0.0'), '1.1.0')));
    const rolledBack = makeCurrent(draining, '1.0');
    assert.equal(rolledBack.current, '1.0');
    assert.equal(stateOf(rolledBack, '1.0'), 'active');
    assert.equal(stateOf(rolledBack, '1.1'), 'active');

    const drained = markDrained(draining, '1.0', later);
    assert.equal(findEntry(drained, '1.0')?.drainedAt, later);
    const fromDrained = makeCurrent(drained, '1.0');
    assert.equal(fromDrained.current, '1.0');
    assert.equal(findEntry(fromDrained, '1.0')?.drainedAt, undefined);
    assert.ok(!('drainedAt' in (findEntry(fromDrained, '1.0') ?? {})));
  });

  it('returns the same map when the version is already current', () => {
    const map = released(emptyVersionMap, '1.0.0');
    assert.equal(makeCurrent(map, '1.0'), map);
    assert.equal(makeCurrent(map), map);
  });

  it('refuses to make current what cannot serve, or what does not exist', () => {
    const map = registerProvisioning(released(emptyVersionMap, '1.0.0'), { version: '1.1.0', app: appFor('1.1'), at });
    throwsCode(() => makeCurrent(map, '1.1'), 'VERSION_STATE_CONFLICT', /1\.1 is provisioning and cannot become current/);
    throwsCode(() => makeCurrent(map, '7.7'), 'VERSION_NOT_FOUND', /No app is registered for 7\.7; known versions: 1\.0, 1\.1/);
    throwsCode(() => makeCurrent(emptyVersionMap), 'NO_CURRENT_VERSION');
  });

  it('drains a version on request but never the current one', () => {
    const map = released(released(emptyVersionMap, '1.0.0'), '1.1.0');
    throwsCode(() => drain(map, '1.0'), 'VERSION_STATE_CONFLICT', /1\.0 is the current version and cannot become draining: make another version current first/);
    assert.equal(stateOf(drain(map, '1.1'), '1.1'), 'draining');
    throwsCode(() => drain(drain(map, '1.1'), '1.1'), 'VERSION_STATE_CONFLICT', /1\.1 is draining and cannot become draining/);
  });

  it('decommissions drained and failed versions, active or draining ones only when forced, the current one never', () => {
    const base = markSupersededDraining(makeCurrent(released(released(emptyVersionMap, '1.0.0'), '1.1.0')));
    throwsCode(() => markDecommissioned(base, '1.0', later), 'VERSION_STATE_CONFLICT', /drain it first, or force it/);
    const forced = markDecommissioned(base, '1.0', later, { force: true });
    assert.equal(stateOf(forced, '1.0'), 'decommissioned');
    assert.equal(findEntry(forced, '1.0')?.decommissionedAt, later);

    const normal = markDecommissioned(markDrained(base, '1.0', at), '1.0', later);
    assert.deepEqual([stateOf(normal, '1.0'), findEntry(normal, '1.0')?.drainedAt], ['decommissioned', at]);
    throwsCode(() => markDecommissioned(base, '1.1', later, { force: true }), 'VERSION_STATE_CONFLICT', /current version/);
  });

  it('records instance counts on one entry', () => {
    const counts = { pending: 1, running: 2, suspended: 0, countedAt: at };
    const map = recordInstanceCounts(released(released(emptyVersionMap, '1.0.0'), '1.1.0'), '1.1', counts);
    assert.deepEqual(findEntry(map, '1.1')?.instances, counts);
    assert.equal(findEntry(map, '1.0')?.instances, undefined);
    throwsCode(() => recordInstanceCounts(map, '9.9', counts), 'VERSION_NOT_FOUND');
  });
});

type Command =
  | { op: 'release'; version: string }
  | { op: 'releaseNext'; major: boolean; patch: number }
  | { op: 'patch'; version: string }
  | { op: 'patchOf'; key: number; bump: number }
  | { op: 'activate' | 'fail' | 'drain' | 'drained' | 'current'; key: number }
  | { op: 'decommission'; key: number; force: boolean }
  | { op: 'counts'; key: number; running: number }
  | { op: 'newest' | 'supersede' };

const versionArb = fc.tuple(fc.nat(2), fc.nat(3), fc.nat(4)).map(([a, b, c]) => `${a}.${b}.${c}`);
const keyArb = fc.nat(20);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 1, arbitrary: versionArb.map((version) => ({ op: 'release' as const, version })) },
  { weight: 3, arbitrary: fc.tuple(fc.boolean(), fc.nat(2)).map(([major, patch]) => ({ op: 'releaseNext' as const, major, patch })) },
  { weight: 1, arbitrary: versionArb.map((version) => ({ op: 'patch' as const, version })) },
  { weight: 2, arbitrary: fc.tuple(keyArb, fc.integer({ min: -1, max: 2 })).map(([key, bump]) => ({ op: 'patchOf' as const, key, bump })) },
  {
    weight: 8,
    arbitrary: fc.tuple(fc.constantFrom('activate' as const, 'activate' as const, 'fail' as const, 'drain' as const, 'drained' as const, 'current' as const), keyArb)
      .map(([op, key]) => ({ op, key })),
  },
  { weight: 2, arbitrary: fc.tuple(keyArb, fc.boolean()).map(([key, force]) => ({ op: 'decommission' as const, key, force })) },
  { weight: 1, arbitrary: fc.tuple(keyArb, fc.nat(5)).map(([key, running]) => ({ op: 'counts' as const, key, running })) },
  { weight: 2, arbitrary: fc.constantFrom({ op: 'newest' as const }, { op: 'supersede' as const }) },
);

function apply(map: VersionMap, command: Command): VersionMap {
  const keys = map.versions.map((e) => e.routeKey);
  // Even numbers pick among the entries the operation applies to, odd ones among all (to see refusals).
  const pick = (n: number, applies: readonly VersionState[] = versionStates): string => {
    const fitting = map.versions.filter((e) => applies.includes(e.state)).map((e) => e.routeKey);
    const from = n % 2 === 0 && fitting.length > 0 ? fitting : keys;
    return from[Math.floor(n / 2) % Math.max(from.length, 1)] ?? '0.0';
  };
  switch (command.op) {
    case 'release': return registerProvisioning(map, { version: command.version, app: appFor(command.version), at });
    case 'releaseNext': {
      const [major, minor] = (keys.at(-1) ?? '0.0').split('.').map(Number) as [number, number];
      const version = command.major ? `${major + 1}.0.${command.patch}` : `${major}.${minor + 1}.${command.patch}`;
      return registerProvisioning(map, { version, app: appFor(version), at });
    }
    case 'patch': return recordPatch(map, command.version);
    case 'patchOf': {
      const entry = findEntry(map, pick(command.key));
      const latestPatch = Number(entry?.latest.split('.')[2] ?? 0);
      return recordPatch(map, `${entry?.routeKey ?? '0.0'}.${Math.max(0, latestPatch + command.bump)}`);
    }
    case 'activate': return activate(map, pick(command.key, ['provisioning']));
    case 'fail': return markFailed(map, pick(command.key, ['provisioning']));
    case 'drain': return drain(map, pick(command.key, ['active']));
    case 'drained': return markDrained(map, pick(command.key, ['draining']), later);
    case 'current': return makeCurrent(map, pick(command.key, ['active', 'draining', 'drained']));
    case 'decommission': return markDecommissioned(map, pick(command.key, ['drained', 'failed', 'active', 'draining']), later, { force: command.force });
    case 'counts': return recordInstanceCounts(map, pick(command.key), { pending: 0, running: command.running, suspended: 0, countedAt: at });
    case 'newest': return makeCurrent(map);
    case 'supersede': return markSupersededDraining(map);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function assertInvariants(map: VersionMap): void {
  const keys = map.versions.map((e) => e.routeKey);
  assert.deepEqual(keys, [...new Set(keys)].sort(compareRouteKeys), 'route keys are unique and sorted');
  const active = map.versions.filter((e) => e.state === 'active');
  if (active.length === 0) {
    assert.equal(map.current, null, 'no active version, so nothing is current');
  } else {
    assert.equal(findEntry(map, map.current ?? '')?.state, 'active', 'exactly one current version, and it is active');
  }
  for (const entry of map.versions) {
    assert.deepEqual(entry.versions, [...entry.versions].sort(compareVersions), 'versions ascend');
    assert.equal(new Set(entry.versions).size, entry.versions.length, 'no version twice');
    assert.equal(entry.latest, entry.versions.at(-1));
    assert.ok(entry.versions.every((v) => v.startsWith(`${entry.routeKey}.`)), 'versions belong to their major.minor');
  }
}

describe('version map operations, over random sequences', () => {
  it('keep the invariants, refuse only with RouterErrors, and never mutate their input', () => {
    const succeeded = new Set<string>();
    const reached = new Set<string>();
    fc.assert(fc.property(fc.array(commandArb, { minLength: 10, maxLength: 60, size: 'max' }), (commands) => {
      let map: VersionMap = deepFreeze(structuredClone(emptyVersionMap));
      for (const command of commands) {
        try {
          map = deepFreeze(apply(map, command));
          succeeded.add(command.op);
        } catch (error) {
          assert.ok(isRouterError(error), `${JSON.stringify(command)} threw ${String(error)}`);
        }
        assertInvariants(map);
        for (const entry of map.versions) reached.add(entry.state);
      }
    }), { numRuns: 300 });
    // The property means little unless the sequences get somewhere.
    assert.deepEqual([...reached].sort(), [...versionStates].sort());
    const operations = ['release', 'releaseNext', 'patch', 'patchOf', 'activate', 'fail', 'drain', 'drained', 'current', 'decommission', 'counts', 'newest', 'supersede'];
    assert.deepEqual([...succeeded].sort(), operations.sort(), 'every operation succeeded at least once');
  });

  it('never change the input object, even when an operation fails', () => {
    fc.assert(fc.property(fc.array(commandArb, { maxLength: 40, size: 'max' }), commandArb, (setup, command) => {
      let map: VersionMap = emptyVersionMap;
      for (const step of setup) {
        try {
          map = apply(map, step);
        } catch (error) {
          assert.ok(isRouterError(error), String(error));
        }
      }
      const input = deepFreeze(structuredClone(map));
      const snapshot = JSON.stringify(input);
      try {
        apply(input, command);
      } catch (error) {
        assert.ok(isRouterError(error), String(error));
      }
      assert.equal(JSON.stringify(input), snapshot);
    }), { numRuns: 300 });
  });
});
