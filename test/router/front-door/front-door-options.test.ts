import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../../shared/stores/version-map-store.js';
import { emptyVersionMap } from '../../../shared/versions/version-map.js';
import { AdminKey } from '../../../router/front-door/admin-key.js';
import { frontDoorDefaults, resolveFrontDoorOptions, type FrontDoorOptions } from '../../../router/front-door/front-door-options.js';

const store: VersionMapStore = {
  read: () => Promise.resolve({ map: emptyVersionMap, etag: undefined }),
  write: () => Promise.reject(new Error('read-only in this test')),
  update: () => Promise.reject(new Error('read-only in this test')),
};
const adminKey = 'k'.repeat(16);

function rejects(options: unknown, pattern: RegExp): void {
  assert.throws(() => resolveFrontDoorOptions(options as FrontDoorOptions),
    (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && pattern.test(error.message));
}

describe('resolveFrontDoorOptions', () => {
  it('fills in the defaults and freezes the result', () => {
    const config = resolveFrontDoorOptions({ store, adminKey });
    assert.equal(config.refreshIntervalMs, frontDoorDefaults.refreshIntervalMs);
    assert.equal(config.upstreamTimeoutMs, frontDoorDefaults.upstreamTimeoutMs);
    assert.equal(config.upstreamBodyTimeoutMs, frontDoorDefaults.upstreamBodyTimeoutMs);
    assert.equal(config.connectionsPerApp, frontDoorDefaults.connectionsPerApp);
    assert.equal(config.trackingStore, undefined);
    assert.equal(config.publicUrl, undefined);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(frontDoorDefaults));
  });

  it('keeps given values and normalizes the public URL', () => {
    const trackingStore = { getInstance: () => Promise.resolve(undefined) };
    const config = resolveFrontDoorOptions({
      store, adminKey, trackingStore, refreshIntervalMs: 100, connectionsPerApp: 3, publicUrl: 'https://Router.Example.com:443/base/', logger: false,
    });
    assert.equal(config.refreshIntervalMs, 100);
    assert.equal(config.connectionsPerApp, 3);
    assert.equal(config.trackingStore, trackingStore);
    assert.equal(config.publicUrl, 'https://router.example.com/base');
    assert.equal(config.logger, false);
  });

  it('refuses a short or unsendable admin key without echoing it', () => {
    rejects({ store, adminKey: 'short' }, /at least 16/);
    rejects({ store, adminKey: 'has a space in it ok' }, /printable ASCII/);
    rejects({ store }, /adminKey/);
    assert.throws(() => resolveFrontDoorOptions({ store, adminKey: 'secret-but' }),
      (error: unknown) => error instanceof Error && !error.message.includes('secret-but'));
  });

  it('refuses a missing store, a malformed tracking store and unknown options', () => {
    rejects({ adminKey }, /options\.store/);
    rejects({ store: {}, adminKey }, /options\.store/);
    rejects({ store, adminKey, trackingStore: { find: () => undefined } }, /trackingStore/);
    rejects({ store, adminKey, refreshIntervalMS: 10 }, /Unknown front door option\(s\): refreshIntervalMS/);
  });

  it('refuses numbers out of range', () => {
    rejects({ store, adminKey, refreshIntervalMs: 0 }, /refreshIntervalMs must be an integer from 10/);
    rejects({ store, adminKey, upstreamTimeoutMs: 1.5 }, /upstreamTimeoutMs/);
    rejects({ store, adminKey, connectionsPerApp: 0 }, /connectionsPerApp/);
    rejects({ store, adminKey, upstreamBodyTimeoutMs: Number.NaN }, /upstreamBodyTimeoutMs/);
  });

  it('refuses a public URL that is not a plain http(s) base', () => {
    rejects({ store, adminKey, publicUrl: 'router.example.com' }, /not an absolute URL/);
    rejects({ store, adminKey, publicUrl: 'ftp://router' }, /http or https/);
    rejects({ store, adminKey, publicUrl: 'https://router/?a=1' }, /query/);
    rejects({ store, adminKey, publicUrl: 'https://user:pw@router/' }, /credentials/);
  });
});

describe('AdminKey', () => {
  const key = new AdminKey('the-admin-key-0123456789');

  it('accepts exactly Bearer <key>', () => {
    assert.ok(key.matchesAuthorization('Bearer the-admin-key-0123456789'));
    assert.ok(key.matchesAuthorization('bearer  the-admin-key-0123456789 '));
  });

  it('refuses anything else', () => {
    for (const value of [undefined, '', 'Bearer', 'Bearer the-admin-key-012345678', 'Bearer the-admin-key-01234567890',
      'Basic the-admin-key-0123456789', 'the-admin-key-0123456789', 'Bearer the-admin-key-0123456789 extra']) {
      assert.ok(!key.matchesAuthorization(value), String(value));
    }
  });
});
