/**
 * The behaviour every Platform adapter must have, run against each adapter by its own test file
 * (e.g. test/deployer/platform/local/local-platform.test.ts) with real apps: the fixture app
 * test/fixtures/apps/platform-app, which reports its package version and settings from inside
 * (`/api/info`, anonymous) and has a function-level route (`/api/guarded`) for the key checks.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { before, describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import type { ErrorCode } from '../../../shared/errors/error-catalogue.js';
import { waitForHealthy } from '../../../deployer/platform/health-wait.js';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { resolvePackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../deployer/platform/package/package-unpacking.js';
import type { AppSettings, DeploymentPackage, Platform, ProvisionRequest } from '../../../deployer/platform/platform.js';
import { fixtureApp } from '../host/fixture-apps.js';

export interface ContractPackages {
  /** The fixture app as a directory, version 1.0.0. */
  readonly v1: DeploymentPackage;
  /** The fixture app as a zip, version 1.0.1. */
  readonly v2Zip: DeploymentPackage;
  /** An app whose code throws while it loads ("boom at load"). */
  readonly broken: DeploymentPackage;
}

export interface PlatformContractSetup {
  /** The platform under test, as the router `owner` (default: this router). Same backing store for every owner. */
  platform(owner?: string): Platform;
  /** Settings an app needs on this platform (e.g. its storage, its own task hub). */
  baseSettings(appName: string): AppSettings;
  /** A scratch folder for the packages the contract builds. */
  readonly workDir: string;
}

export interface AppInfo {
  readonly version: string;
  readonly message: string | null;
  readonly fixtureSettings: readonly string[];
  readonly siteName: string | null;
  readonly pid: number;
}

/** Builds the contract's packages from the fixture app, with their content hashes. */
export async function buildContractPackages(workDir: string): Promise<ContractPackages> {
  const source = fixtureApp('platform-app');
  const variant = async (name: string, version: string, code?: string): Promise<string> => {
    const dir = path.join(workDir, name);
    await rm(dir, { recursive: true, force: true });
    await cp(source, dir, { recursive: true });
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
    if (code !== undefined) await writeFile(path.join(dir, 'src', 'functions.js'), code);
    return dir;
  };
  const hashOf = async (packagePath: string): Promise<string> => {
    const unpacked = await unpackPackage(packagePath, path.join(workDir, `hash-${path.basename(packagePath)}`), { limits: resolvePackageLimits() });
    return packageContentHash(unpacked.files);
  };
  await mkdir(workDir, { recursive: true });
  const v1 = await variant('v1', '1.0.0');
  const v2Dir = await variant('v2', '1.0.1');
  const v2Zip = path.join(workDir, 'v2.zip');
  const zip = await zipDirectory(v2Dir);
  await pipeline(zip.stream, createWriteStream(v2Zip));
  const broken = await variant('broken', '1.0.2', 'throw new Error("boom at load");\n');
  return {
    v1: { path: v1, sha256: await hashOf(v1) },
    v2Zip: { path: v2Zip, sha256: await hashOf(v2Zip) },
    broken: { path: broken, sha256: await hashOf(broken) },
  };
}

export async function appInfo(url: string): Promise<AppInfo> {
  const response = await fetch(`${url}/api/info`);
  assert.equal(response.status, 200, `GET ${url}/api/info`);
  return (await response.json()) as AppInfo;
}

/** The status of a GET, with the key in the x-functions-key header if one is given. */
export async function statusOf(url: string, key?: string): Promise<number> {
  const response = await fetch(url, key === undefined ? {} : { headers: { 'x-functions-key': key } });
  await response.arrayBuffer();
  return response.status;
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRouterError(error), `expected a RouterError, got ${(error as Error)?.stack ?? String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

export function describePlatformContract(name: string, setup: () => PlatformContractSetup): void {
  describe(`Platform contract: ${name}`, () => {
    let context: PlatformContractSetup;
    let platform: Platform;
    let packages: ContractPackages;
    let sequence = 0;
    const request = (routeKey = '1.0', version = `${routeKey}.0`): ProvisionRequest => ({
      appName: `contract-${++sequence}-${routeKey.replace('.', 'x')}`,
      routeKey,
      version,
      tags: { purpose: 'contract-test' },
    });

    before(async () => {
      context = setup();
      platform = context.platform();
      packages = await buildContractPackages(path.join(context.workDir, 'contract-packages'));
    });

    it('provisions an app once per name, and returns it as it is when asked again', async () => {
      const wanted = request('1.0', '1.0.0');
      const app = await platform.provision(wanted);
      assert.equal(app.name, wanted.appName);
      assert.equal(app.routeKey, '1.0');
      assert.equal(app.version, '1.0.0');
      assert.deepEqual(app.tags, { purpose: 'contract-test' });
      assert.equal(app.state, 'not-deployed');
      assert.equal(app.deployment, undefined);
      assert.deepEqual(app.settingNames, []);
      assert.match(app.url, /^https?:\/\//);
      const again = await platform.provision({ ...wanted, version: '1.0.7', tags: { purpose: 'changed' } });
      assert.deepEqual(again, app);
      assert.deepEqual(await platform.get(wanted.appName), app);
      assert.equal((await platform.list()).filter((listed) => listed.name === wanted.appName).length, 1);
      const health = await platform.health(wanted.appName);
      assert.equal(health.healthy, false);
      assert.equal(health.state, 'not-deployed');
      await rejectsWith(waitForHealthy(platform, wanted.appName, { timeoutMs: 300, intervalMs: 100 }), 'PLATFORM_DEPLOY_FAILED', /did not become healthy within 300 ms/);
      await platform.delete(wanted.appName);
    });

    it('keeps the apps of different routers apart', async () => {
      const other = context.platform('another-router');
      const wanted = request('2.0');
      await other.provision(wanted);
      await rejectsWith(platform.provision(wanted), 'PLATFORM_APP_NAME_TAKEN', /belongs to the router "another-router"/);
      assert.equal(await platform.get(wanted.appName), undefined);
      assert.ok(!(await platform.list()).some((app) => app.name === wanted.appName));
      await rejectsWith(platform.delete(wanted.appName), 'PLATFORM_APP_NAME_TAKEN');
      await rejectsWith(platform.configure(wanted.appName, {}), 'PLATFORM_APP_NOT_FOUND');
      assert.ok((await other.list()).some((app) => app.name === wanted.appName));
      await other.delete(wanted.appName);
      assert.equal(await other.get(wanted.appName), undefined);
    });

    it('refuses a name it uses for another route key, and malformed requests', async () => {
      const wanted = request('3.0');
      await platform.provision(wanted);
      await rejectsWith(platform.provision({ ...wanted, routeKey: '3.1', version: '3.1.0' }), 'PLATFORM_APP_NAME_TAKEN', /uses it for 3.0, not 3.1/);
      await rejectsWith(platform.provision({ ...wanted, appName: 'Not_Valid' }), 'INVALID_REQUEST', /not a valid app name/);
      await rejectsWith(platform.provision({ ...request('3.0'), tags: { 'route-key': '9.9' } }), 'INVALID_REQUEST', /kept by the platform/);
      await rejectsWith(platform.configure(wanted.appName, { 'not-valid': 'x' }), 'INVALID_REQUEST');
      await platform.delete(wanted.appName);
    });

    it('answers PLATFORM_APP_NOT_FOUND for an app it does not have, and deletes a missing app quietly', async () => {
      const missing = 'contract-never-provisioned';
      await rejectsWith(platform.configure(missing, {}), 'PLATFORM_APP_NOT_FOUND', /provision it first/);
      await rejectsWith(platform.deploy(missing, packages.v1), 'PLATFORM_APP_NOT_FOUND');
      await rejectsWith(platform.health(missing), 'PLATFORM_APP_NOT_FOUND');
      assert.equal(await platform.get(missing), undefined);
      await platform.delete(missing);
    });

    describe('one app through its life', () => {
      const wanted = request('4.2', '4.2.0');
      let url: string;

      it('deploys a directory and runs it with its settings as environment', async () => {
        url = (await platform.provision(wanted)).url;
        await platform.configure(wanted.appName, { ...context.baseSettings(wanted.appName), FIXTURE_MESSAGE: 'first settings' });
        const deployed = await platform.deploy(wanted.appName, packages.v1);
        assert.equal(deployed.url, url);
        assert.equal(deployed.state, 'running');
        assert.equal(deployed.deployment?.sha256, packages.v1.sha256);
        assert.deepEqual(deployed.settingNames, [...Object.keys(context.baseSettings(wanted.appName)), 'FIXTURE_MESSAGE'].sort());
        const health = await waitForHealthy(platform, wanted.appName, { timeoutMs: 30_000 });
        assert.deepEqual([...health.functions].sort(), ['guarded', 'info']);
        assert.equal(health.state, 'running');
        const info = await appInfo(url);
        assert.equal(info.version, '1.0.0');
        assert.equal(info.message, 'first settings');
        assert.equal(info.siteName, wanted.appName);
        // local.settings.json is development state: platforms do not apply it (Azure ignores it too).
        assert.deepEqual(info.fixtureSettings, ['FIXTURE_MESSAGE']);
      });

      it('replaces the whole settings list, and the running app picks it up', async () => {
        await platform.configure(wanted.appName, { ...context.baseSettings(wanted.appName), FIXTURE_OTHER: 'second settings' });
        await waitForHealthy(platform, wanted.appName, { timeoutMs: 30_000 });
        const info = await appInfo(url);
        assert.equal(info.message, null);
        assert.deepEqual(info.fixtureSettings, ['FIXTURE_OTHER']);
        assert.deepEqual((await platform.get(wanted.appName))?.settingNames, [...Object.keys(context.baseSettings(wanted.appName)), 'FIXTURE_OTHER'].sort());
        await platform.configure(wanted.appName, { ...context.baseSettings(wanted.appName), FIXTURE_OTHER: 'second settings' });
        assert.equal((await appInfo(url)).pid, info.pid, 'the same settings again do not restart the app');
      });

      it('redeploys from a zip at the same URL', async () => {
        const deployed = await platform.deploy(wanted.appName, packages.v2Zip);
        assert.equal(deployed.url, url);
        assert.equal(deployed.deployment?.sha256, packages.v2Zip.sha256);
        await waitForHealthy(platform, wanted.appName, { timeoutMs: 30_000 });
        assert.equal((await appInfo(url)).version, '1.0.1');
        const listed = (await platform.list()).find((app) => app.name === wanted.appName);
        assert.equal(listed?.deployment?.sha256, packages.v2Zip.sha256);
        assert.equal(listed?.version, '4.2.0', 'the version an app was provisioned for stays');
      });

      it('keeps the app\'s keys: two distinct secrets, the same after a redeploy', async () => {
        const keys = await platform.keys(wanted.appName);
        assert.match(keys.function, /^[\x21-\x7e]{16,}$/);
        assert.match(keys.durableTask, /^[\x21-\x7e]{16,}$/);
        assert.notEqual(keys.function, keys.durableTask);
        assert.deepEqual(await platform.keys(wanted.appName), keys);
        await rejectsWith(platform.keys('contract-never-provisioned'), 'PLATFORM_APP_NOT_FOUND');
      });

      it('enforces the app\'s keys: its durable API and its function-level routes refuse callers without them', async () => {
        const keys = await platform.keys(wanted.appName);
        const durableApi = `${url}/runtime/webhooks/durabletask/instances?top=1`;
        assert.equal(await statusOf(durableApi), 401, 'the durable API without a key');
        assert.equal(await statusOf(durableApi, keys.function), 401, 'the durable API with the function key');
        assert.equal(await statusOf(durableApi, keys.durableTask), 200, 'the durable API with its system key');
        assert.equal(await statusOf(`${durableApi}&code=${encodeURIComponent(keys.durableTask)}`), 200, 'the durable API with its system key as code');
        const guarded = `${url}/api/guarded`;
        assert.equal(await statusOf(guarded), 401, 'a function-level route without a key');
        assert.equal(await statusOf(guarded, keys.durableTask), 401, 'a function-level route with the system key');
        assert.equal(await statusOf(guarded, keys.function), 200, 'a function-level route with the function key');
        assert.equal(await statusOf(`${guarded}?code=${encodeURIComponent(keys.function)}`), 200, 'a function-level route with the function key as code');
        assert.equal(await statusOf(`${url}/api/info`), 200, 'an anonymous route');
      });

      it('reports a package whose code does not start, saying why', async () => {
        await rejectsWith(platform.deploy(wanted.appName, packages.broken), 'PLATFORM_DEPLOY_FAILED', /boom at load/);
      });

      it('deletes the app, and deleting it again is fine', async () => {
        await platform.delete(wanted.appName);
        assert.equal(await platform.get(wanted.appName), undefined);
        assert.ok(!(await platform.list()).some((app) => app.name === wanted.appName));
        await rejectsWith(platform.health(wanted.appName), 'PLATFORM_APP_NOT_FOUND');
        await platform.delete(wanted.appName);
      });
    });
  });
}
