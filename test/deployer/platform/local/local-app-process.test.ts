import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { startLocalAppProcess } from '../../../../deployer/platform/local/local-app-process.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { fixtureApp } from '../../host/fixture-apps.js';
import { appInfo } from '../platform-contract.js';

const azurite = await startAzuriteForTests();
const settings = { AzureWebJobsStorage: azurite.connectionString, FIXTURE_MESSAGE: 'given' };
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

describe('startLocalAppProcess', () => {
  it('gives an isolated app its settings and nothing of the parent environment', async () => {
    process.env['FIXTURE_PARENT_ONLY'] = 'parent';
    try {
      const isolated = await startLocalAppProcess({ appDir: fixtureApp('platform-app'), settings, environment: 'isolated' });
      stops.push(() => isolated.stop());
      const inherited = await startLocalAppProcess({ appDir: fixtureApp('platform-app'), settings });
      stops.push(() => inherited.stop());
      const isolatedInfo = await appInfo(isolated.url);
      assert.equal(isolatedInfo.message, 'given');
      assert.ok(!isolatedInfo.fixtureSettings.includes('FIXTURE_PARENT_ONLY'));
      assert.ok((await appInfo(inherited.url)).fixtureSettings.includes('FIXTURE_PARENT_ONLY'));
      assert.equal(isolated.port, Number(new URL(isolated.url).port));
      await isolated.stop();
      assert.deepEqual(await isolated.exited, { code: 0, signal: null });
    } finally {
      delete process.env['FIXTURE_PARENT_ONLY'];
    }
  });

  it('says the port is in use when it is', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      await assert.rejects(startLocalAppProcess({ appDir: fixtureApp('platform-app'), settings, port, environment: 'isolated' }), (error: unknown) => {
        assert.ok(isRouterError(error, 'APP_START_FAILED'));
        assert.equal(error.details?.['reason'], 'port-in-use');
        assert.match(error.message, /EADDRINUSE/);
        return true;
      });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('gives up on an app that does not start in time, and kills it', async () => {
    const started = performance.now();
    await assert.rejects(
      startLocalAppProcess({ appDir: fixtureApp('platform-app'), settings, environment: 'isolated', startTimeoutMs: 50 }),
      (error: unknown) => isRouterError(error, 'APP_START_FAILED') && error.details?.['reason'] === 'timeout' && /did not start within 50 ms/.test(error.message),
    );
    assert.ok(performance.now() - started < 5_000);
  });
});
