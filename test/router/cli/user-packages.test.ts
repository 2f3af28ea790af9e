/**
 * Apps as users have them, released with the real `durable-router` binary from a directory and
 * from a zip, on both platforms: freshly npm-installed (offline, from local tarballs) with a
 * production and a dev dependency, JavaScript and TypeScript; links inside the app followed,
 * links out of it refused; a declared dependency the package lacks refused before any deploy.
 * The fake ARM's sites answer over HTTPS with the test CA: run with
 * NODE_EXTRA_CA_CERTS=<repo>/test/fixtures/tls/ca.pem (npm test does).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, symlink, writeFile, readFile, access } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { ReleaseStack } from '../control-plane/fixtures/release-stack.js';
import { runCli, type CliRun } from './fixtures/cli-process.js';
import { devDependency, npm, offlineNpmEnv, packDependencies, productionDependency, writeJavaScriptApp, writeTypeScriptApp } from './fixtures/user-apps.js';

interface Greeting { greeting: string; devShipped: boolean; language: string }

const workDir = path.join(repositoryRoot, '.data', 'test', `user-packages-${randomUUID()}`);
const vendorDir = path.join(workDir, 'vendor');
const npmEnv = offlineNpmEnv(workDir);

before(async () => {
  await packDependencies(workDir, vendorDir, npmEnv);
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** An app written and `npm install`ed into the stack's package folder. */
async function installedApp(stack: ReleaseStack, language: 'javascript' | 'typescript', version: string): Promise<string> {
  const dir = path.join(stack.packagesDir, `${language}-${version}`);
  await (language === 'javascript' ? writeJavaScriptApp : writeTypeScriptApp)(dir, version, vendorDir);
  await npm(['install', '--ignore-scripts'], dir, npmEnv);
  return dir;
}

async function zipOf(dir: string): Promise<string> {
  const file = `${dir}.zip`;
  await pipeline((await zipDirectory(dir)).stream, createWriteStream(file));
  return file;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

function cliOf(stack: ReleaseStack) {
  return (...args: string[]): Promise<CliRun> => runCli([...args, '--url', stack.url, '--admin-key', stack.adminKey], { env: npmEnv });
}

describe('apps as users have them, on the local platform', () => {
  let stack: ReleaseStack;
  let cli: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    stack = await ReleaseStack.start();
    cli = cliOf(stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('releases a freshly installed JavaScript app from its directory: production dependencies ship, dev ones do not, an inner link is followed', async () => {
    const dir = await installedApp(stack, 'javascript', '1.0.0');
    assert.ok(await exists(path.join(dir, 'node_modules', '.bin', 'say-words')), 'npm made its .bin link');
    assert.ok(await exists(path.join(dir, 'node_modules', devDependency)), 'npm installed the dev dependency');
    // What `npm link` and workspaces make: a package of the app's own, linked into node_modules.
    await mkdir(path.join(dir, 'packages', 'local-phrases'), { recursive: true });
    await writeFile(path.join(dir, 'packages', 'local-phrases', 'index.js'), 'exports.farewell = "until tomorrow";\n');
    await symlink('../packages/local-phrases', path.join(dir, 'node_modules', 'local-phrases'));
    await writeFile(path.join(dir, 'src', 'functions.js'), `${await readFile(path.join(dir, 'src', 'functions.js'), 'utf8')}
app.http('farewell', { methods: ['GET'], authLevel: 'anonymous', route: 'farewell', handler: async () => ({ jsonBody: { farewell: require('local-phrases').farewell } }) });
`);
    const run = await cli('release', '1.0.0', '--package', dir, '--no-promote', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^leaving out 1 dev dependency \(npm's lockfile marks it dev\)$/m);
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Ada', { 'x-app-version': '1.0' });
    assert.equal(greeting.status, 200, JSON.stringify(greeting.body));
    assert.deepEqual(greeting.body, { greeting: 'good day, Ada', devShipped: false, language: 'javascript' });
    const farewell = await stack.app('GET', '/api/farewell', { 'x-app-version': '1.0' });
    assert.deepEqual(farewell.body, { farewell: 'until tomorrow' });
  });

  it('releases a zip of an installed app as it is, dev dependencies included', async () => {
    const zip = await zipOf(await installedApp(stack, 'javascript', '1.0.1'));
    const run = await cli('release', '1.0.1', '--package', zip, '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Grace', { 'x-app-version': '1.0.1' });
    assert.deepEqual(greeting.body, { greeting: 'good day, Grace', devShipped: true, language: 'javascript' });
  });

  it('builds a TypeScript app before packaging it', async () => {
    const dir = await installedApp(stack, 'typescript', '2.0.0');
    assert.equal(await exists(path.join(dir, 'dist')), false);
    const run = await cli('release', '2.0.0', '--package', dir, '--no-promote', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^building .*typescript-2\.0\.0 \(it has a tsconfig\.json\): npm run build$/m);
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Alan', { 'x-app-version': '2.0' });
    assert.deepEqual(greeting.body, { greeting: 'good day, Alan', devShipped: false, language: 'typescript' });
  });

  it('installs the production dependencies of an app that has a lockfile but nothing installed, into a staging copy', async () => {
    const dir = path.join(stack.packagesDir, 'locked-3.0.0');
    await writeJavaScriptApp(dir, '3.0.0', vendorDir);
    await npm(['install', '--package-lock-only', '--ignore-scripts'], dir, npmEnv);
    assert.equal(await exists(path.join(dir, 'node_modules')), false);
    const run = await cli('release', '3.0.0', '--package', dir, '--no-promote', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^installing the production dependencies of .*locked-3\.0\.0 into a staging copy .*: npm ci --omit=dev --ignore-scripts$/m);
    assert.equal(await exists(path.join(dir, 'node_modules')), false, 'the app directory is left as it was');
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Edsger', { 'x-app-version': '3.0' });
    assert.deepEqual(greeting.body, { greeting: 'good day, Edsger', devShipped: false, language: 'javascript' });
  });

  it('refuses links that leave the app, naming each, and a failing build with its last lines, before uploading', async () => {
    const dir = await stack.stage('4.0.0');
    await mkdir(path.join(dir, 'node_modules'), { recursive: true });
    await symlink(path.join(workDir, 'dependency-sources', productionDependency), path.join(dir, 'node_modules', productionDependency));
    await symlink('../../nowhere.js', path.join(dir, 'src', 'gone.js'));
    const linked = await cli('release', '4.0.0', '--package', dir, '--wait');
    assert.equal(linked.code, 1, linked.stdout);
    assert.match(linked.stderr, new RegExp(`^error PACKAGE_INVALID: The package has symbolic links that do not stay inside it: "node_modules/${productionDependency}" \\(it points outside the package, to .*\\), "src/gone.js" \\(it points to \\.\\./\\.\\./nowhere\\.js, which does not exist\\)`, 'm'));

    const broken = await installedApp(stack, 'typescript', '4.0.1');
    await writeFile(path.join(broken, 'src', 'functions.ts'), 'const count: number = "three";\n');
    const failed = await cli('release', '4.0.1', '--package', broken, '--wait');
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, /^error PACKAGE_BUILD_FAILED: "npm run build" failed in .*typescript-4\.0\.1 \(exit code \d+\); fix the build and release again\. Its last lines:$/m);
    assert.match(failed.stderr, /src\/functions\.ts\(1,7\): error TS2322/);
    assert.equal(findEntry(await stack.map(), '4.0'), undefined);
  });

  it('refuses a package that lacks a dependency it declares, naming it, before deploying anything', async () => {
    const dir = path.join(stack.packagesDir, 'uninstalled-5.0.0');
    await writeJavaScriptApp(dir, '5.0.0', vendorDir);
    for (const source of [dir, await zipOf(dir)]) {
      const run = await cli('release', '5.0.0', '--package', source, '--wait');
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, new RegExp(`^error PACKAGE_DEPENDENCIES_MISSING: The package's package.json declares the dependency ${productionDependency}, but it ships no node_modules and no package-lock.json\\. Run "npm ci --omit=dev"`, 'm'));
    }
    assert.equal(findEntry(await stack.map(), '5.0'), undefined);
    assert.ok(!(await stack.platformApps()).some((app) => app.name.endsWith('v5-0')));
  });
});

describe('apps as users have them, on Azure (the fake ARM)', () => {
  let stack: ReleaseStack;
  let cli: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    stack = await ReleaseStack.start({ platform: 'azure', lroDelayMs: 20 });
    cli = cliOf(stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('releases a freshly installed JavaScript app from its directory with its production dependencies only', async () => {
    const run = await cli('release', '1.0.0', '--package', await installedApp(stack, 'javascript', '1.0.0'), '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Ada', { 'x-app-version': '1.0' });
    assert.equal(greeting.status, 200, JSON.stringify(greeting.body));
    assert.deepEqual(greeting.body, { greeting: 'good day, Ada', devShipped: false, language: 'javascript' });
  });

  it('releases a zip of a built TypeScript app', async () => {
    const dir = await installedApp(stack, 'typescript', '2.0.0');
    await npm(['run', 'build'], dir, npmEnv);
    const run = await cli('release', '2.0.0', '--package', await zipOf(dir), '--no-promote', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const greeting = await stack.app<Greeting>('GET', '/api/greet/Alan', { 'x-app-version': '2.0' });
    assert.equal(greeting.status, 200, JSON.stringify(greeting.body));
    assert.deepEqual(greeting.body, { greeting: 'good day, Alan', devShipped: true, language: 'typescript' });
  });
});
