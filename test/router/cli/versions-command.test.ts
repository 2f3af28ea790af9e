import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDownApps, describeOwnTrackingStores } from '../../../router/cli/commands/versions-command.js';

describe('durable-router versions', () => {
  it('names each app the front door finds down, since when and why, under the table', () => {
    const up = { status: 'up', downSince: null, reason: null } as const;
    assert.equal(describeDownApps([
      { routeKey: '1.0', app: { name: 'dr-local-v1-0', health: { status: 'down', downSince: '2026-05-01T10:00:00.000Z', reason: 'ECONNREFUSED' } } },
      { routeKey: '1.1', app: { name: 'dr-local-v1-1', health: up } },
      { routeKey: '0.9', app: { name: 'dr-local-v0-9', health: null } },
      { routeKey: '0.8', app: { name: 'dr-local-v0-8' } },
    ]), '! the app of 1.0 (dr-local-v1-0) is down since 2026-05-01T10:00:00.000Z: ECONNREFUSED\n');
    assert.equal(describeDownApps([{ routeKey: '1.1', app: { name: 'dr-local-v1-1', health: up } }]), '');
  });

  it('names each version that keeps its instances in a tracking store of its own, with its entities', () => {
    assert.equal(describeOwnTrackingStores([
      { routeKey: '1.0', app: { name: 'dr-local-v1-0', trackingStore: null }, entities: ['counter'] },
      { routeKey: '1.1', app: { name: 'dr-local-v1-1', trackingStore: 'DurableTaskV1x1' }, entities: ['counter'] },
      { routeKey: '0.9', app: { name: 'dr-local-v0-9' } },
    ]), '  1.1 keeps its instances in its own tracking store DurableTaskV1x1 (entities: counter)\n');
  });
});
