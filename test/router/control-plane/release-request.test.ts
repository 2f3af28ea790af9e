import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { parseJsonReleaseRequest, parseUploadReleaseRequest } from '../../../router/control-plane/releases/release-request.js';

function refused(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => isRouterError(error) && error.code === code && message.test(error.message));
}

describe('release requests', () => {
  it('takes a JSON release with its defaults: app-routing, promoted, no own settings', () => {
    assert.deepEqual(parseJsonReleaseRequest({ version: '1.2.0', package: '/packages/app' }), {
      version: '1.2.0', routeKey: '1.2', strategy: 'app-routing', promote: true, packageReference: '/packages/app', appSettings: {},
    });
    const explicit = parseJsonReleaseRequest({ version: '2.0.0-rc.1', package: 'https://example.com/a.zip', strategy: 'app-routing', promote: false, settings: { GREETING: 'hi' } });
    assert.equal(explicit.routeKey, '2.0');
    assert.equal(explicit.promote, false);
    assert.deepEqual(explicit.appSettings, { GREETING: 'hi' });
  });

  it('says the other strategies are not available yet, and refuses unknown ones', () => {
    for (const strategy of ['versioned-names', 'slot-swap']) {
      refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', strategy }), 'STRATEGY_NOT_AVAILABLE', new RegExp(`"${strategy}" is not available yet.*app-routing`));
    }
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', strategy: 'blue-green' }), 'INVALID_REQUEST', /must be one of app-routing, versioned-names, slot-swap/);
  });

  it('takes orchestration-versioning, whose version match and failure strategies are the router\'s', () => {
    const ov = parseJsonReleaseRequest({ version: '1.2.0', package: '/p', strategy: 'orchestration-versioning', settings: { GREETING: 'hi' } });
    assert.equal(ov.strategy, 'orchestration-versioning');
    const setting = 'AzureFunctionsJobHost__extensions__durableTask__versionMatchStrategy';
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', strategy: 'orchestration-versioning', settings: { [setting]: 'None' } }), 'INVALID_REQUEST', /versionMatchStrategy are set by the router/);
    assert.deepEqual(parseJsonReleaseRequest({ version: '1.2.0', package: '/p', settings: { [setting]: 'None' } }).appSettings, { [setting]: 'None' }, 'app routing leaves them to the app');
  });

  it('refuses what is malformed, naming the field', () => {
    refused(() => parseJsonReleaseRequest([]), 'INVALID_REQUEST', /must be a JSON object/);
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', promte: false }), 'INVALID_REQUEST', /Unknown release field\(s\): promte/);
    refused(() => parseJsonReleaseRequest({ version: '1.2.0' }), 'INVALID_REQUEST', /"package" must name the package/);
    refused(() => parseJsonReleaseRequest({ version: 'v1.2.0', package: '/p' }), 'INVALID_VERSION', /not a valid version/);
    refused(() => parseJsonReleaseRequest({ version: 12, package: '/p' }), 'INVALID_REQUEST', /"version" must be a version/);
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', promote: 'no' }), 'INVALID_REQUEST', /"promote" must be true or false/);
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', settings: { A: 1 } }), 'INVALID_REQUEST', /"A" must have a string value/);
    refused(() => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', settings: { 'BAD NAME': 'x' } }), 'INVALID_REQUEST', /not a valid app setting name/);
  });

  it('keeps the settings that make the app the router\'s out of a release\'s hands', () => {
    refused(
      () => parseJsonReleaseRequest({ version: '1.2.0', package: '/p', settings: { azurewebjobsstorage: 'x', TASKHUB_NAME: 'y' } }),
      'INVALID_REQUEST',
      /azurewebjobsstorage, TASKHUB_NAME are set by the router itself/,
    );
  });

  it('takes a zip upload\'s version and options from the query', () => {
    assert.deepEqual(parseUploadReleaseRequest({ version: '1.3.1', promote: 'false', strategy: null }), {
      version: '1.3.1', routeKey: '1.3', strategy: 'app-routing', promote: false, packageReference: undefined, appSettings: {},
    });
    assert.equal(parseUploadReleaseRequest({ version: '1.3.1' }).promote, true);
    refused(() => parseUploadReleaseRequest({ version: null }), 'INVALID_REQUEST', /\?version=1\.2\.0/);
    refused(() => parseUploadReleaseRequest({ version: '1.3.1', promote: 'yes' }), 'INVALID_REQUEST', /"promote" must be true or false/);
    refused(() => parseUploadReleaseRequest({ version: '1.3.1', strategy: 'slot-swap' }), 'STRATEGY_NOT_AVAILABLE', /slot-swap/);
  });
});
