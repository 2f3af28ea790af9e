import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploymentTags, isOwnedBy, planTags, siteOwnership, siteTags } from '../../../../deployer/platform/azure/site-tags.js';
import { platformAppOf } from '../../../../deployer/platform/azure/site-view.js';

describe('site tags', () => {
  const request = { appName: 'dr-default-v1-2', routeKey: '1.2', version: '1.2.3', tags: { team: 'orders' } };
  const tags = siteTags('default', request, '2026-01-01T00:00:00.000Z');

  it('reads back what they recorded, the caller\'s tags apart', () => {
    const ownership = siteOwnership({ ...tags, ...deploymentTags('ab'.repeat(32), '2026-01-02T00:00:00.000Z'), 'hidden-link: /x': 'Resource' }, 'default');
    assert.deepEqual(ownership, {
      kind: 'owned',
      site: {
        routeKey: '1.2', version: '1.2.3', createdAt: '2026-01-01T00:00:00.000Z',
        deployment: { sha256: 'ab'.repeat(32), deployedAt: '2026-01-02T00:00:00.000Z' }, callerTags: { team: 'orders' },
      },
    });
  });

  it('tells this router\'s sites from other routers\' and unmanaged ones, tag names case-insensitively', () => {
    assert.equal(siteOwnership(tags, 'default').kind, 'owned');
    assert.deepEqual(siteOwnership(tags, 'another'), { kind: 'other-router', owner: 'default' });
    assert.deepEqual(siteOwnership({ team: 'x' }, 'default'), { kind: 'unmanaged' });
    assert.deepEqual(siteOwnership(undefined, 'default'), { kind: 'unmanaged' });
    const shouted = Object.fromEntries(Object.entries(tags).map(([name, value]) => [name.toUpperCase(), value]));
    assert.equal(siteOwnership(shouted, 'default').kind, 'owned');
    assert.ok(isOwnedBy(planTags('default'), 'default'));
    assert.ok(!isOwnedBy(planTags('default'), 'other'));
  });

  it('shows a site as a PlatformApp at its HTTPS host name', () => {
    const ownership = siteOwnership(tags, 'default');
    assert.equal(ownership.kind, 'owned');
    const app = platformAppOf({ name: 'dr-default-v1-2', defaultHostName: 'dr-default-v1-2.azurewebsites.net', state: 'Running', location: 'westeurope' }, ownership.site, ['B', 'A']);
    assert.deepEqual(app, {
      name: 'dr-default-v1-2', url: 'https://dr-default-v1-2.azurewebsites.net', routeKey: '1.2', version: '1.2.3', tags: { team: 'orders' },
      state: 'not-deployed', settingNames: ['A', 'B'], deployment: undefined, createdAt: '2026-01-01T00:00:00.000Z',
    });
  });
});
