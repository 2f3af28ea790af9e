import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { VersionEntry } from '../../../shared/versions/version-map.js';
import { isolatedTrackingStoreFor, placeTrackingStore } from '../../../router/control-plane/releases/tracking-store-placement.js';
import { versionEntry, versionMap } from '../front-door/fixtures/version-maps.js';

function withEntities(entry: VersionEntry, entities: readonly string[] | undefined, trackingStore?: string): VersionEntry {
  return { ...entry, ...(entities === undefined ? {} : { entities }), app: { ...entry.app, ...(trackingStore === undefined ? {} : { trackingStore }) } };
}

describe('placing a release\'s instances in a tracking store', () => {
  const shared = 'DurableTask';

  it('keeps a release whose entities no other version of the shared store registers in the shared store', () => {
    const map = versionMap('1.0', withEntities(versionEntry('1.0', 'active', ['1.0.0']), ['counter']));
    assert.deepEqual(placeTrackingStore(map, { routeKey: '1.1', kind: 'breaking', entities: ['cart'] }, shared), { trackingStore: undefined, overlaps: [] });
    assert.deepEqual(placeTrackingStore(map, { routeKey: '1.1', kind: 'breaking', entities: [] }, shared), { trackingStore: undefined, overlaps: [] });
  });

  it('gives a breaking release that shares an entity name with a version of the shared store, drained or decommissioned ones included, a store of its own', () => {
    const map = versionMap('1.2',
      withEntities(versionEntry('1.0', 'decommissioned', ['1.0.0']), ['counter']),
      withEntities(versionEntry('1.1', 'active', ['1.1.0']), ['cart', 'counter']),
      withEntities(versionEntry('1.2', 'active', ['1.2.0']), ['counter'], 'DurableTaskV1x2'),
      withEntities(versionEntry('1.4', 'failed', ['1.4.0']), ['counter']));
    assert.deepEqual(placeTrackingStore(map, { routeKey: '1.3', kind: 'breaking', entities: ['counter', 'cart'] }, shared), {
      trackingStore: 'DurableTaskV1x3',
      overlaps: [{ routeKey: '1.0', entities: ['counter'] }, { routeKey: '1.1', entities: ['counter', 'cart'] }],
    });
  });

  it('counts a version whose entities were never recorded as overlapping, when the release has entities', () => {
    const map = versionMap('1.0', versionEntry('1.0', 'active', ['1.0.0']));
    assert.deepEqual(placeTrackingStore(map, { routeKey: '2.0', kind: 'breaking', entities: ['counter'] }, shared), {
      trackingStore: 'DurableTaskV2x0', overlaps: [{ routeKey: '1.0', entities: [] }],
    });
  });

  it('keeps the store a version already has, for its patches and a repeated step', () => {
    const map = versionMap('1.0', withEntities(versionEntry('1.0', 'active', ['1.0.0']), ['counter']), withEntities(versionEntry('1.1', 'active', ['1.1.0']), ['counter'], 'DurableTaskV1x1'));
    assert.deepEqual(placeTrackingStore(map, { routeKey: '1.1', kind: 'patch', entities: ['counter', 'more'] }, shared), { trackingStore: 'DurableTaskV1x1', overlaps: [] });
  });

  it('refuses a patch of a shared-store version that would share an entity name, naming both', () => {
    const map = versionMap('1.0', withEntities(versionEntry('1.0', 'active', ['1.0.0']), ['counter']), withEntities(versionEntry('1.1', 'active', ['1.1.0']), []));
    assert.throws(() => placeTrackingStore(map, { routeKey: '1.1', kind: 'patch', entities: ['counter'] }, shared), (error) => {
      assert.ok(isRouterError(error, 'ENTITY_NAME_CONFLICT'));
      assert.match(error.message, /1\.0 \(counter\).*Release it as a new major\.minor/);
      assert.deepEqual(error.details, { routeKey: '1.1', overlaps: [{ routeKey: '1.0', entities: ['counter'] }] });
      return true;
    });
  });

  it('names the store after the major.minor, within the extension\'s 50 characters', () => {
    assert.equal(isolatedTrackingStoreFor('DurableTask', '12.305'), 'DurableTaskV12x305');
    const long = isolatedTrackingStoreFor('P'.repeat(50), '1.2');
    assert.equal(long.length, 50);
    assert.ok(long.endsWith('V1x2'));
  });
});
