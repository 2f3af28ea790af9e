/**
 * Reconciliation at start, against a real local platform: what it deletes, what it leaves and
 * reports, and the keys it stores again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalPlatform } from '../../../deployer/platform/local/local-platform.js';
import { MemoryAppKeyStore } from '../../../shared/stores/memory-app-key-store.js';
import { activate, registerProvisioning } from '../../../shared/versions/version-map-operations.js';
import { emptyVersionMap, type VersionMap } from '../../../shared/versions/version-map.js';
import { ControlPlaneTable } from '../../../router/control-plane/storage/control-plane-table.js';
import { ReleaseClaims } from '../../../router/control-plane/storage/release-claims.js';
import { reconcilePlatform } from '../../../router/control-plane/reconciliation/platform-reconciliation.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { buildContractPackages, type ContractPackages } from '../../deployer/platform/platform-contract.js';

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `reconciliation-${randomUUID()}`);
const at = '2026-12-01T00:00:00.000Z';

describe('reconciling the platform with the version map', () => {
  let platform: LocalPlatform;
  let packages: ContractPackages;
  const forgotten: string[] = [];

  before(async () => {
    platform = new LocalPlatform({ root: path.join(workDir, 'platform'), owner: 'local', startTimeoutMs: 30_000 });
    packages = await buildContractPackages(path.join(workDir, 'packages'));
  });

  after(async () => {
    await platform.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  function mapNaming(...apps: { name: string; routeKey: string; url: string }[]): VersionMap {
    return apps.reduce((map, app) => activate(registerProvisioning(map, { version: `${app.routeKey}.0`, app: { name: app.name, url: app.url, taskHub: `Hub${app.routeKey.replace('.', 'x')}` }, at }), app.routeKey), emptyVersionMap);
  }

  it('deletes an unnamed app that runs no code, reports one that does, leaves a claimed one, stores the serving apps\' keys', async () => {
    const serving = await platform.provision({ appName: 'dr-local-v1-0', routeKey: '1.0', version: '1.0.0' });
    await platform.configure('dr-local-v1-0', { AzureWebJobsStorage: azurite.connectionString, AzureFunctionsJobHost__extensions__durableTask__hubName: 'ReconcileServing' });
    await platform.deploy('dr-local-v1-0', packages.v1);
    await platform.provision({ appName: 'dr-local-v2-0', routeKey: '2.0', version: '2.0.0' });
    await platform.provision({ appName: 'dr-local-v3-0', routeKey: '3.0', version: '3.0.0' });
    await platform.provision({ appName: 'dr-local-v4-0', routeKey: '4.0', version: '4.0.0' });
    await platform.configure('dr-local-v4-0', { AzureWebJobsStorage: azurite.connectionString, AzureFunctionsJobHost__extensions__durableTask__hubName: 'ReconcileUnnamed' });
    await platform.deploy('dr-local-v4-0', packages.v1);
    const appKeys = new MemoryAppKeyStore();
    const claims = new ReleaseClaims(new ControlPlaneTable(azurite.connectionString));
    assert.deepEqual(await claims.claim({ routeKey: '3.0', releaseId: 'release-3.0.0-x', version: '3.0.0', claimedAt: at }), { claimed: true });
    const map = mapNaming({ name: 'dr-local-v1-0', routeKey: '1.0', url: serving.url }, { name: 'dr-local-v9-0', routeKey: '9.0', url: 'http://127.0.0.1:9' });

    const report = await reconcilePlatform({
      map, mapRecorded: true, platform, appKeys,
      claims,
      forget: async (appName) => { forgotten.push(appName); },
    });
    assert.deepEqual(report.missing, [{ routeKey: '9.0', app: 'dr-local-v9-0' }]);
    assert.deepEqual(report.deleted, ['dr-local-v2-0']);
    assert.deepEqual(report.claimed, ['dr-local-v3-0']);
    assert.deepEqual(report.unnamed, ['dr-local-v4-0']);
    assert.deepEqual(report.keysStored, ['dr-local-v1-0']);
    assert.deepEqual(report.failures, []);
    assert.deepEqual(forgotten, ['dr-local-v2-0']);
    assert.deepEqual((await platform.list()).map((app) => app.name), ['dr-local-v1-0', 'dr-local-v3-0', 'dr-local-v4-0']);
    assert.deepEqual((await appKeys.readAll()).keys.get('dr-local-v1-0'), await platform.keys('dr-local-v1-0'));
  });

  it('deletes nothing while no version map was ever written (fresh or wrong storage)', async () => {
    await platform.provision({ appName: 'dr-local-v5-0', routeKey: '5.0', version: '5.0.0' });
    const report = await reconcilePlatform({
      map: emptyVersionMap, mapRecorded: false, platform, appKeys: new MemoryAppKeyStore(),
      claims: new ReleaseClaims(new ControlPlaneTable(azurite.connectionString)), forget: async () => undefined,
    });
    assert.deepEqual(report.deleted, []);
    assert.ok(report.unnamed.includes('dr-local-v5-0'));
    assert.ok((await platform.list()).some((app) => app.name === 'dr-local-v5-0'));
  });
});
