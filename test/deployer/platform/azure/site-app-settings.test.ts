import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import {
  assertCallerSettingsAllowed, callerSettingNames, callerSettingNamesSetting, mergeAppSettings,
} from '../../../../deployer/platform/azure/site-app-settings.js';

describe('site app settings', () => {
  const adapterOwned = { FUNCTIONS_EXTENSION_VERSION: '~4', FUNCTIONS_WORKER_RUNTIME: 'node' };

  it('adds the caller\'s settings beside the adapter\'s, recording their names', () => {
    const { next, changed } = mergeAppSettings(adapterOwned, { B: '2', A: '1' });
    assert.equal(changed, true);
    assert.deepEqual(next, { ...adapterOwned, B: '2', A: '1', [callerSettingNamesSetting]: 'A,B' });
    assert.deepEqual(callerSettingNames(next), ['A', 'B']);
  });

  it('replaces the caller\'s previous settings and keeps the adapter\'s and the service\'s', () => {
    const current = { ...adapterOwned, WEBSITE_RUN_FROM_PACKAGE: 'https://blob/x.zip', A: '1', B: '2', [callerSettingNamesSetting]: 'A,B' };
    const { next, changed } = mergeAppSettings(current, { B: '3', C: '4' });
    assert.equal(changed, true);
    assert.deepEqual(next, { ...adapterOwned, WEBSITE_RUN_FROM_PACKAGE: 'https://blob/x.zip', B: '3', C: '4', [callerSettingNamesSetting]: 'B,C' });
  });

  it('sees that the same settings again change nothing', () => {
    const { next } = mergeAppSettings(adapterOwned, { A: '1' });
    assert.equal(mergeAppSettings(next, { A: '1' }).changed, false);
    assert.equal(mergeAppSettings(adapterOwned, {}).changed, false);
    assert.equal(mergeAppSettings(next, { A: 'other' }).changed, true);
    const emptied = mergeAppSettings(next, {});
    assert.equal(emptied.changed, true);
    assert.deepEqual(emptied.next, adapterOwned);
  });

  it('lists only recorded names the site still has', () => {
    assert.deepEqual(callerSettingNames({ A: '1', [callerSettingNamesSetting]: 'A,Gone' }), ['A']);
    assert.deepEqual(callerSettingNames({ A: '1' }), []);
  });

  it('refuses settings the SKU keeps for itself, naming each (case-insensitively)', () => {
    const refusal = (sku: 'FC1' | 'EP1' | 'Y1', settings: Record<string, string>): string => {
      try {
        assertCallerSettingsAllowed(sku, settings);
      } catch (error) {
        assert.ok(isRouterError(error, 'INVALID_REQUEST'));
        return error.message;
      }
      return '';
    };
    assert.match(refusal('FC1', { functions_worker_runtime: 'node', WEBSITE_RUN_FROM_PACKAGE: '1', OK: 'x' }), /functions_worker_runtime, WEBSITE_RUN_FROM_PACKAGE cannot be set on FC1 apps/);
    assert.match(refusal('Y1', { FUNCTIONS_EXTENSION_VERSION: '~3' }), /FUNCTIONS_EXTENSION_VERSION cannot be set on Y1 apps/);
    assert.match(refusal('EP1', { WEBSITE_CONTENTSHARE: 'x', [callerSettingNamesSetting]: 'x' }), /cannot be set on EP1/);
    assert.equal(refusal('Y1', { WEBSITE_RUN_FROM_PACKAGE: '1', AzureWebJobsStorage: 'x' }), '');
  });
});
