import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../../shared/stores/version-map-store.js';
import { emptyVersionMap } from '../../../shared/versions/version-map.js';
import { AdminKey } from '../../../router/front-door/admin-key.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { frontDoorDefaults, resolveFrontDoorOptions, type FrontDoorOptions } from '../../../router/front-door/front-door-options.js';

const store: VersionMapStore = {
  read: () => Promise.resolve({ map: emptyVersionMap, etag: undefined }),
  write: () => Promise.reject(new Error('read-only in this test')),
  update: () => Promise.reject(new Error('read-only in this test')),
};
const adminKey = 'k'.repeat(16);
const routerKeys = testRouterKeys;

function rejects(options: unknown, pattern: RegExp): void {
  assert.throws(() => resolveFrontDoorOptions(options as FrontDoorOptions),
    (error: unknown) => isRouterError(error, 'INVALID_CONFIGURATION') && pattern.test(error.message));
}

describe('resolveFrontDoorOptions', () => {
  it('fills in the defaults and freezes the result', () => {
    const config = resolveFrontDoorOptions({ store, adminKey, routerKeys });
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
      store, adminKey, routerKeys, trackingStore, refreshIntervalMs: 100, connectionsPerApp: 3, publicUrl: 'https://Router.Example.com:443/base/', logger: false,
    });
    assert.equal(config.refreshIntervalMs, 100);
    assert.equal(config.connectionsPerApp, 3);
    assert.equal(config.trackingStore, trackingStore);
    assert.equal(config.publicUrl, 'https://router.example.com/base');
    assert.equal(config.logger, false);
  });

  it('refuses a short or unsendable admin key without echoing it', () => {
    rejects({ store, adminKey: 'short', routerKeys }, /at least 16/);
    rejects({ store, adminKey: 'has a space in it ok', routerKeys }, /printable ASCII/);
    rejects({ store, routerKeys }, /adminKey/);
    assert.throws(() => resolveFrontDoorOptions({ store, adminKey: 'secret-but', routerKeys }),
      (error: unknown) => error instanceof Error && !error.message.includes('secret-but'));
  });

  it('refuses a missing store, a malformed tracking store and unknown options', () => {
    rejects({ adminKey, routerKeys }, /options\.store/);
    rejects({ store: {}, adminKey, routerKeys }, /options\.store/);
    rejects({ store, adminKey, routerKeys, trackingStore: { find: () => undefined } }, /trackingStore/);
    rejects({ store, adminKey, routerKeys, refreshIntervalMS: 10 }, /Unknown front door option\(s\): refreshIntervalMS/);
  });

  it('refuses numbers out of range', () => {
    rejects({ store, adminKey, routerKeys, refreshIntervalMs: 0 }, /refreshIntervalMs must be an integer from 10/);
    rejects({ store, adminKey, routerKeys, upstreamTimeoutMs: 1.5 }, /upstreamTimeoutMs/);
    rejects({ store, adminKey, routerKeys, connectionsPerApp: 0 }, /connectionsPerApp/);
    rejects({ store, adminKey, routerKeys, upstreamBodyTimeoutMs: Number.NaN }, /upstreamBodyTimeoutMs/);
  });

  it('refuses router keys that are missing, short, not URL-safe, equal, or the admin key', () => {
    rejects({ store, adminKey }, /options\.routerKeys must be \{ function, durableApi \}/);
    rejects({ store, adminKey, routerKeys: { ...routerKeys, function: 'short' } }, /routerKeys\.function must be 16 to 256 URL-safe/);
    rejects({ store, adminKey, routerKeys: { ...routerKeys, durableApi: 'has&an=ampersand-in-it' } }, /routerKeys\.durableApi must be 16 to 256 URL-safe/);
    rejects({ store, adminKey, routerKeys: { function: 'the-same-key-twice', durableApi: 'the-same-key-twice' } }, /must differ/);
    rejects({ store, adminKey, routerKeys: { ...routerKeys, durableApi: adminKey } }, /differ from the admin key/);
    assert.throws(() => resolveFrontDoorOptions({ store, adminKey, routerKeys: { ...routerKeys, function: 'secret but not url safe' } }),
      (error: unknown) => error instanceof Error && !error.message.includes('secret but'));
  });

  it('refuses a public URL that is not a plain http(s) base', () => {
    rejects({ store, adminKey, routerKeys, publicUrl: 'router.example.com' }, /not an absolute URL/);
    rejects({ store, adminKey, routerKeys, publicUrl: 'ftp://router' }, /http or https/);
    rejects({ store, adminKey, routerKeys, publicUrl: 'https://router/?a=1' }, /query/);
    rejects({ store, adminKey, routerKeys, publicUrl: 'https://user:pw@router/' }, /credentials/);
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
