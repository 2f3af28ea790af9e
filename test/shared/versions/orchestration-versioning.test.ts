import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRouterError } from '../../../shared/errors/router-error.js';
import {
  countsOfEntry, liveLineage, orchestrationVersioning, otherLiveEntriesOnApp, ownerEntryOf, planOrchestrationVersioning,
} from '../../../shared/versions/orchestration-versioning.js';
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';
import type { AppRef, VersionEntry, VersionMap, VersionState } from '../../../shared/versions/version-map.js';
import { compileRoutingTable } from '../../../router/front-door/routing-table.js';
import { resolveInstanceRoute, resolveVersion } from '../../../router/front-door/version-resolution.js';
import { describeInstance } from '../../../router/admin/instances-query.js';

const at = '2026-03-01T12:00:00.000Z';
const lineageApp: AppRef = { name: 'dr-local-v1-0', url: 'http://127.0.0.1:7100', taskHub: 'localv1x0' };
const ownApp = (routeKey: string): AppRef => ({ name: `dr-local-v${routeKey.replace('.', '-')}`, url: `http://127.0.0.1:7${routeKey.replace('.', '')}`, taskHub: `localv${routeKey.replace('.', 'x')}` });

function entry(routeKey: string, versions: string[], state: VersionState, options: { app?: AppRef; strategy?: ReleaseStrategy } = {}): VersionEntry {
  return {
    routeKey, state, versions, latest: versions[versions.length - 1] as string, app: options.app ?? lineageApp,
    strategy: options.strategy ?? orchestrationVersioning, createdAt: at,
  };
}

/** 1.0 (draining) and 1.1 (current) share the lineage's app. */
const lineageMap: VersionMap = {
  current: '1.1',
  versions: [entry('1.0', ['1.0.0', '1.0.1'], 'draining'), entry('1.1', ['1.1.0'], 'active')],
};

function refusal(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    assert.ok(isRouterError(error), String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('orchestration versioning: the release plan', () => {
  it('starts a lineage with the first release: no app to go onto', () => {
    const plan = planOrchestrationVersioning({ current: null, versions: [] }, '1.0.0');
    assert.equal(plan.classification.kind, 'breaking');
    assert.equal(plan.lineage, undefined);
  });

  it('starts a lineage beside app-routing versions, which it never goes onto', () => {
    const map: VersionMap = { current: '1.0', versions: [entry('1.0', ['1.0.0'], 'active', { app: ownApp('1.0'), strategy: 'app-routing' })] };
    assert.equal(planOrchestrationVersioning(map, '1.1.0').lineage, undefined);
  });

  it('puts a new major.minor onto the lineage app, whose version it raises', () => {
    const plan = planOrchestrationVersioning(lineageMap, '1.2.0');
    assert.equal(plan.classification.kind, 'breaking');
    assert.equal(plan.lineage?.app.name, lineageApp.name);
    assert.equal(plan.lineage?.defaultVersion, '1.1.0');
    assert.deepEqual(plan.lineage?.entries.map((e) => e.routeKey), ['1.0', '1.1']);
  });

  it('puts a patch of the newest major.minor onto the same app', () => {
    const plan = planOrchestrationVersioning(lineageMap, '1.1.1');
    assert.equal(plan.classification.kind, 'patch');
    assert.equal(plan.lineage?.app.name, lineageApp.name);
  });

  it('refuses a release that would lower the app\'s version, naming it', () => {
    const lowered = refusal(() => planOrchestrationVersioning(lineageMap, '1.0.5'));
    assert.equal(lowered.code, 'VERSION_DOWNGRADE');
    assert.match(lowered.message, /1\.0\.5 would lower the orchestration version of dr-local-v1-0, which stamps new instances with 1\.1\.0/);
  });

  it('refuses going below a version a failed release may have raised the app to, and allows releasing that version again', () => {
    const map: VersionMap = { ...lineageMap, versions: [...lineageMap.versions, entry('1.2', ['1.2.0'], 'failed')] };
    assert.equal(refusal(() => planOrchestrationVersioning(map, '1.1.1')).code, 'VERSION_DOWNGRADE');
    assert.equal(planOrchestrationVersioning(map, '1.2.0').lineage?.defaultVersion, '1.1.0');
  });

  it('refuses a prerelease (the extension compares versions as numbers) and another strategy\'s major.minor', () => {
    assert.equal(refusal(() => planOrchestrationVersioning(lineageMap, '1.2.0-rc.1')).code, 'INVALID_VERSION');
    const mixed: VersionMap = { current: '1.0', versions: [entry('1.0', ['1.0.0'], 'active', { app: ownApp('1.0'), strategy: 'app-routing' })] };
    assert.equal(refusal(() => planOrchestrationVersioning(mixed, '1.0.1')).code, 'STRATEGY_CONFLICT');
  });

  it('never lets the app\'s version go down, whatever was released before (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 12 }), (attempts) => {
      let map: VersionMap = { current: null, versions: [] };
      let highest: string | undefined;
      for (const [major, minor, patch] of attempts) {
        const version = `${major}.${minor}.${patch}`;
        let plan;
        try {
          plan = planOrchestrationVersioning(map, version);
        } catch (error) {
          assert.ok(isRouterError(error));
          continue;
        }
        if (highest !== undefined) assert.ok(compare(version, highest) > 0, `${version} accepted after ${highest}`);
        highest = version;
        map = applied(map, plan.classification.kind, version);
      }
    }));
  });
});

function compare(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  return (x[0]! - y[0]!) || (x[1]! - y[1]!) || (x[2]! - y[2]!);
}

/** The map after a release of the lineage succeeded (a new major.minor becomes current). */
function applied(map: VersionMap, kind: 'breaking' | 'patch', version: string): VersionMap {
  const routeKey = version.split('.').slice(0, 2).join('.');
  if (kind === 'patch') {
    return { ...map, versions: map.versions.map((e) => (e.routeKey === routeKey ? { ...e, versions: [...e.versions, version], latest: version } : e)) };
  }
  const others = map.versions.map((e) => (e.state === 'active' ? { ...e, state: 'draining' as const } : e));
  return { current: routeKey, versions: [...others, entry(routeKey, [version], 'active')] };
}

describe('orchestration versioning: which version an instance belongs to', () => {
  it('takes an instance\'s major.minor from its recorded Version on a shared app', () => {
    assert.equal(ownerEntryOf(lineageMap, 'localv1x0', '1.0.1')?.routeKey, '1.0');
    assert.equal(ownerEntryOf(lineageMap, 'localv1x0', '1.1.0')?.routeKey, '1.1');
    assert.equal(ownerEntryOf(lineageMap, 'localv1x0', '')?.routeKey, '1.0', 'an instance without a version is the oldest\'s');
    assert.equal(ownerEntryOf(lineageMap, 'elsewhere', '1.1.0'), undefined);
    assert.equal(ownerEntryOf(lineageMap, 'localv1x0', '', true)?.routeKey, '1.1', 'an entity lives on with the app: the newest live entry\'s');
  });

  it('gives an app of its own every instance of its hub, whatever it records', () => {
    const map: VersionMap = { current: '2.0', versions: [entry('2.0', ['2.0.0'], 'active', { app: ownApp('2.0'), strategy: 'app-routing' })] };
    assert.equal(ownerEntryOf(map, 'localv2x0', '')?.routeKey, '2.0');
    assert.equal(ownerEntryOf(map, 'localv2x0', '1.9.0')?.routeKey, '2.0');
  });

  it('counts each entry\'s unfinished instances by Version, every instance exactly once (property)', () => {
    const versions = ['', '1.0.0', '1.0.1', '1.1.0', '1.1.1', '9.9.9'];
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...versions), fc.nat(5), fc.nat(5), fc.nat(5))), (rows) => {
      const byVersion = new Map(rows.map(([version, pending, running, suspended]) => [version, { pending, running, suspended }]));
      const a = countsOfEntry(lineageMap, '1.0', byVersion);
      const b = countsOfEntry(lineageMap, '1.1', byVersion);
      const sum = (key: 'pending' | 'running' | 'suspended'): number => [...byVersion.values()].reduce((total, counts) => total + counts[key], 0);
      for (const key of ['pending', 'running', 'suspended'] as const) assert.equal(a[key] + b[key], sum(key));
      const only11 = byVersion.get('1.1.0')?.running ?? 0;
      assert.ok(b.running >= only11);
    }));
  });

  it('names an instance\'s version in the listing, and filters by major.minor on a shared hub', () => {
    const record = { instanceId: 'a', name: 'processOrder', taskHub: 'localv1x0', runtimeStatus: 'Running' as const, createdTime: new Date(at), lastUpdatedTime: new Date(at), version: '1.0.1' };
    assert.deepEqual([describeInstance(record, lineageMap)?.routeKey, describeInstance(record, lineageMap)?.version], ['1.0', '1.0.1']);
    assert.equal(describeInstance(record, lineageMap, '1.1'), undefined);
    assert.equal(describeInstance(record, lineageMap, '1.0')?.routeKey, '1.0');
  });
});

describe('orchestration versioning: decommissioning and routing on a shared app', () => {
  it('keeps the app while another live entry shares it; the last one deletes it', () => {
    assert.deepEqual(otherLiveEntriesOnApp(lineageMap, '1.0'), ['1.1']);
    const last: VersionMap = { current: '2.0', versions: [
      { ...entry('1.0', ['1.0.0'], 'decommissioned'), decommissionedAt: at },
      entry('1.1', ['1.1.0'], 'drained'),
      entry('2.0', ['2.0.0'], 'active', { app: ownApp('2.0'), strategy: 'app-routing' }),
    ] };
    assert.deepEqual(otherLiveEntriesOnApp(last, '1.1'), []);
  });

  it('finds the live lineage, ignoring entries whose app is gone', () => {
    const gone: VersionMap = { current: '2.0', versions: [{ ...entry('1.0', ['1.0.0'], 'decommissioned'), decommissionedAt: at }, entry('2.0', ['2.0.0'], 'active', { app: ownApp('2.0'), strategy: 'app-routing' })] };
    assert.equal(liveLineage(gone), undefined);
    assert.equal(liveLineage(lineageMap)?.app.name, lineageApp.name);
  });

  it('routes an instance of a decommissioned version to the app that still runs it (any order of entries, property)', () => {
    const states: VersionState[] = ['active', 'draining', 'drained', 'decommissioned', 'failed'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...states), { minLength: 1, maxLength: 4 }), fc.boolean(), (others, reversed) => {
      const entries = [entry('1.0', ['1.0.0'], 'decommissioned'), ...others.map((state, i) => entry(`1.${i + 1}`, [`1.${i + 1}.0`], state))];
      const current = entries.find((e) => e.state === 'active')?.routeKey ?? null;
      const map: VersionMap = { current, versions: reversed ? [...entries].reverse() : entries };
      const table = compileRoutingTable(map, (e) => e.routeKey);
      const live = entries.some((e) => e.state === 'active' || e.state === 'draining' || e.state === 'drained');
      const route = resolveInstanceRoute(table, 'order-1', { taskHub: lineageApp.taskHub }, undefined, false);
      if (live) {
        assert.ok(!isRouterError(route), `refused: ${isRouterError(route) ? route.message : ''}`);
        assert.ok(['active', 'draining', 'drained'].includes(route.entry.state));
        if (current !== null) assert.equal(route.entry.routeKey, current);
      } else {
        // Nothing live: the router answers decommissioned, or (a failed release's entry) lets the app answer.
        assert.ok(isRouterError(route) || route.entry.state === 'failed');
      }
    }));
  });

  it('refuses a start naming a draining major.minor of the lineage, naming the current one', () => {
    const table = compileRoutingTable(lineageMap, (e) => e.routeKey);
    const refused = resolveVersion(table, '1.0', false);
    assert.ok(isRouterError(refused));
    assert.equal(refused.code, 'VERSION_DRAINING');
    assert.match(refused.message, /current version is 1\.1\.0/);
    const decommissioned = compileRoutingTable({ ...lineageMap, versions: [{ ...entry('1.0', ['1.0.0'], 'decommissioned'), decommissionedAt: at }, entry('1.1', ['1.1.0'], 'active')] }, (e) => e.routeKey);
    const gone = resolveVersion(decommissioned, '1.0', false);
    assert.ok(isRouterError(gone));
    assert.equal(gone.code, 'VERSION_DECOMMISSIONED');
    assert.match(gone.message, /its app serves newer versions/);
  });
});
