/**
 * The artifact that ships is the one tested: `npm run package:control-plane`'s zip, unpacked, runs
 * in the local host as the control plane with ROUTER_PLATFORM=azure, against the fake ARM, and
 * releases an app through it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { unpackPackage } from '../../../../deployer/platform/package/package-unpacking.js';
import { defaultPackageLimits } from '../../../../deployer/platform/package/package-limits.js';
import { controlPlaneEntry } from '../../../../router/control-plane/packaging/control-plane-package.js';
import { repositoryRoot } from '../../../deployer/host/fixture-apps.js';
import { processExists } from '../../../fixtures/process-exists.js';
import { ReleaseStack } from '../fixtures/release-stack.js';

const execFileAsync = promisify(execFile);

describe('the packaged control plane (npm run package:control-plane)', () => {
  const workDir = path.join(repositoryRoot, '.data', 'test', `control-plane-package-${randomUUID()}`);
  const zip = path.join(workDir, 'control-plane.zip');
  const unpacked = path.join(workDir, 'control-plane');
  let printed: string;

  before(async () => {
    // The npm script itself, as a release pipeline runs it (its tsc -b finds everything built).
    const { stdout } = await execFileAsync('npm', ['run', '-s', 'package:control-plane', '--', '--out', zip], { cwd: repositoryRoot, maxBuffer: 4 * 1024 * 1024 });
    printed = stdout;
    await unpackPackage(zip, unpacked, { limits: defaultPackageLimits });
  });

  after(async () => {
    if (process.env['KEEP_TEST_DATA'] === undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('says where the zip is and how to deploy it', () => {
    assert.match(printed, new RegExp(`control plane package: ${zip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(printed, /az functionapp deploy .*--src-path .*--type zip/);
  });

  it('holds what Azure Functions runs: host.json with the extension bundle, package.json whose main exists, production dependencies only', async () => {
    const hostJson = JSON.parse(await readFile(path.join(unpacked, 'host.json'), 'utf8')) as {
      version?: string; extensionBundle?: { id?: string }; extensions?: { durableTask?: { hubName?: string } };
    };
    assert.equal(hostJson.version, '2.0');
    assert.equal(hostJson.extensionBundle?.id, 'Microsoft.Azure.Functions.ExtensionBundle');
    assert.equal(hostJson.extensions?.durableTask?.hubName, '%ROUTER_CONTROL_PLANE_TASKHUB%');
    const manifest = JSON.parse(await readFile(path.join(unpacked, 'package.json'), 'utf8')) as { main: string; type: string; dependencies: Record<string, string> };
    assert.equal(manifest.main, controlPlaneEntry);
    assert.equal(manifest.type, 'module');
    assert.ok((await stat(path.join(unpacked, manifest.main))).isFile());
    const installed = await readdir(path.join(unpacked, 'node_modules'));
    for (const needed of ['durable-functions', '@azure', 'fastify', 'undici', 'pino']) assert.ok(installed.includes(needed), `${needed} is shipped`);
    for (const devOnly of ['typescript', 'eslint', 'fast-check', 'azurite']) assert.ok(!installed.includes(devOnly), `${devOnly} is not shipped`);
    assert.deepEqual(await readdir(path.join(unpacked, 'dist')).then((folders) => folders.sort()), ['deployer', 'router', 'shared'], 'no tests in the package');
  });

  it('releases an app through the fake ARM as the control plane, with ROUTER_PLATFORM=azure', async () => {
    const stack = await ReleaseStack.start({ platform: 'azure', controlPlaneAppDir: unpacked });
    try {
      const commandLine = (await readFile(`/proc/${stack.controlPlane.pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(commandLine.includes(unpacked), `the control plane runs the unpacked package: ${commandLine.join(' ')}`);
      const { final } = await stack.release({ version: '1.0.0', package: await stack.stage('1.0.0') });
      assert.equal(final.state, 'succeeded', JSON.stringify(final));
      const fake = stack.fakeArm;
      assert.ok(fake !== undefined);
      assert.deepEqual(fake.state.sites().map((site) => site.name), ['dr-local-v1-0']);
      assert.ok(fake.calls.some((call) => call.operationId === 'WebApps_CreateOrUpdate' && call.status < 300), 'the site was created through ARM');
      const served = await stack.app<{ version: string }>('GET', '/api/version');
      assert.equal(served.status, 200, JSON.stringify(served.body));
      assert.equal(served.body.version, '1.0.0');
      assert.equal(served.headers['x-routed-version'], '1.0.0');
    } finally {
      const pid = stack.controlPlane.pid;
      await stack.stop();
      assert.equal(processExists(pid), false);
    }
  });
});
