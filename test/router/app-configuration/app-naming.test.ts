import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { appNameProblem } from '../../../deployer/platform/platform-input.js';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { appNameFor, appNamePrefixPattern, defaultAppNamePrefix, controlPlaneTaskHubFor, taskHubNameFor } from '../../../router/app-configuration/app-naming.js';
import { routerAppSettings } from '../../../router/app-configuration/app-settings.js';
import { parseRouterId } from '../../../router/app-configuration/router-identity.js';

const hubPattern = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
const routerIds = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);
const routeKeys = fc.tuple(fc.nat(9999), fc.nat(9999)).map(([major, minor]) => `${major}.${minor}`);

describe('names of what the router creates', () => {
  it('keeps every app name of a valid prefix within 32 characters, so distinct apps have distinct host ids', () => {
    fc.assert(fc.property(fc.stringMatching(appNamePrefixPattern), routeKeys, (prefix, routeKey) => {
      const name = appNameFor(routeKey, prefix);
      assert.equal(appNameProblem(name), undefined);
      assert.ok(name.length <= 32, name);
    }));
  });

  it('gives every major.minor of every router its own valid app name and task hub', () => {
    fc.assert(fc.property(routerIds, routeKeys, (routerId, routeKey) => {
      assert.equal(appNameProblem(appNameFor(routeKey, defaultAppNamePrefix(routerId))), undefined);
      assert.match(taskHubNameFor(routeKey, routerId), hubPattern);
    }));
    fc.assert(fc.property(routerIds, routeKeys, routerIds, routeKeys, (idA, keyA, idB, keyB) => {
      fc.pre(idA !== idB || keyA !== keyB);
      assert.notEqual(appNameFor(keyA, defaultAppNamePrefix(idA)), appNameFor(keyB, defaultAppNamePrefix(idB)));
      assert.notEqual(taskHubNameFor(keyA, idA), taskHubNameFor(keyB, idB));
      assert.notEqual(taskHubNameFor(keyA, idA), controlPlaneTaskHubFor(idB));
    }));
    assert.equal(appNameFor('1.2'), 'dr-local-v1-2');
    assert.equal(appNameFor('1.2', 'contoso-orders'), 'contoso-orders-v1-2');
    assert.equal(taskHubNameFor('1.2'), 'localv1x2');
    assert.match(controlPlaneTaskHubFor('prod'), hubPattern);
  });

  it('accepts only router ids that fit in app and hub names', () => {
    assert.equal(parseRouterId(undefined), 'local');
    assert.equal(parseRouterId(' prod2 '), 'prod2');
    for (const bad of ['Prod', '2prod', 'my-router', 'a'.repeat(17)]) {
      assert.throws(() => parseRouterId(bad), (error) => isRouterError(error, 'INVALID_CONFIGURATION'));
    }
  });

  it('gives an app its task hub and the shared tracking store, keeping its own settings beside them', () => {
    const settings = routerAppSettings({ routeKey: '1.2', version: '1.2.3', routerId: 'prod', storageConnectionString: 'UseDevelopmentStorage=true', appSettings: { GREETING: 'hi' } });
    assert.equal(settings['GREETING'], 'hi');
    assert.equal(settings['TASKHUB_NAME'], 'prodv1x2');
    assert.equal(settings['AzureFunctionsJobHost__extensions__durableTask__defaultVersion'], '1.2.3', 'every instance records the version it started on');
    assert.equal(settings['AzureFunctionsJobHost__extensions__durableTask__hubName'], 'prodv1x2');
    assert.equal(settings['AzureFunctionsJobHost__extensions__durableTask__storageProvider__trackingStoreNamePrefix'], 'DurableTask');
    assert.equal(routerAppSettings({ routeKey: '1.2', version: '1.2.3', taskHub: 'App1x2', storageConnectionString: 'x' })['TASKHUB_NAME'], 'App1x2', 'a patch keeps its app\'s hub');
    assert.throws(
      () => routerAppSettings({ routeKey: '1.2', version: '1.2.3', storageConnectionString: 'x', appSettings: { taskhub_name: 'mine' } }),
      (error) => isRouterError(error, 'INVALID_REQUEST') && /taskhub_name/.test(error.message),
    );
  });

  it('gives an app released with orchestration versioning CurrentOrOlder and Reject, and no other app', () => {
    const durableTask = 'AzureFunctionsJobHost__extensions__durableTask__';
    const ov = routerAppSettings({ routeKey: '1.2', version: '1.2.3', storageConnectionString: 'x', orchestrationVersioning: true });
    assert.equal(ov[`${durableTask}versionMatchStrategy`], 'CurrentOrOlder');
    assert.equal(ov[`${durableTask}versionFailureStrategy`], 'Reject');
    assert.equal(ov[`${durableTask}defaultVersion`], '1.2.3');
    const routed = routerAppSettings({ routeKey: '1.2', version: '1.2.3', storageConnectionString: 'x' });
    assert.equal(routed[`${durableTask}versionMatchStrategy`], undefined);
  });
});
