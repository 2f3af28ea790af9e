/**
 * The CLI's release and operator commands, run as the real `durable-router` binary against a
 * whole router on real processes (Azurite, the control plane and its apps, a front door). The
 * tests run in order on one router; each leaves the map as the next expects.
 */
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { findEntry } from '../../../shared/versions/version-map-operations.js';
import { ReleaseStack } from '../control-plane/fixtures/release-stack.js';
import { runCli, type CliRun } from './fixtures/cli-process.js';

interface ListedInstance { instanceId: string; routeKey: string; version: string | null; runtimeStatus: string; name: string }
interface Listing { instances: ListedInstance[]; continuationToken: string | null }

describe('durable-router release, instances, current, drain and decommission', () => {
  let stack: ReleaseStack;
  const waits: string[] = [];

  before(async () => {
    stack = await ReleaseStack.start();
  });

  after(async () => {
    await stack?.stop();
  });

  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, '--url', stack.url, '--admin-key', stack.adminKey]);

  it('releases a directory with --wait: uploads it as a zip, shows each step, and says what is current', async () => {
    const run = await cli('release', '1.0.0', '--package', await stack.stage('1.0.0'), '--wait');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^uploading .*1\.0\.0-good-\d+ as a zip \(\d+ files, \d+ KiB before compression\)$/m);
    assert.match(run.stdout, /^release release-1\.0\.0-\S+ of 1\.0\.0 started$/m);
    // Which steps show depends on when the status was read (every 250 ms); their order does not.
    const shown = [...run.stdout.matchAll(/^ +\d+\.\d s +(\d+)% +([a-z-]+)/gm)].map((match) => ({ progress: Number(match[1]), step: match[2] }));
    const steps = shown.map((line) => line.step);
    assert.ok(steps.length >= 2 && steps.at(-1) === 'done', `steps shown: ${steps.join(', ')}`);
    assert.equal(new Set(steps).size, steps.length, 'one line per step when stdout is not a terminal');
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i]!.progress > shown[i - 1]!.progress, `steps shown: ${steps.join(', ')}`);
    assert.match(run.stdout, /^released 1\.0\.0 in \d+\.\d s: a new app dr-local-v1-0 for 1\.0$/m);
    assert.match(run.stdout, /^current version: 1\.0$/m);
    assert.equal((await stack.map()).current, '1.0');
  });

  it('uploads a zip and, without --wait off a terminal, answers the release id at once', async () => {
    const zip = path.join(stack.packagesDir, 'app-1.0.1.zip');
    await pipeline((await zipDirectory(await stack.stage('1.0.1'))).stream, createWriteStream(zip));
    const run = await cli('release', '1.0.1', '--package', zip, '--output', 'json');
    assert.equal(run.code, 0, run.stderr);
    const accepted = JSON.parse(run.stdout) as { id: string; statusUrl: string };
    assert.match(accepted.id, /^release-1\.0\.1-/);
    assert.equal(accepted.statusUrl, `${stack.url}/admin/releases/${accepted.id}`);
    const { final } = await stack.waitForRelease(accepted.id);
    assert.equal(final.state, 'succeeded', JSON.stringify(final));
    assert.deepEqual(findEntry(await stack.map(), '1.0')?.versions, ['1.0.0', '1.0.1']);
  });

  it('passes an https URL to the router as a reference, and shows its refusal', async () => {
    const run = await cli('release', '1.1.0', '--package', 'https://127.0.0.1:1/app-1.1.0.zip', '--wait');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error PACKAGE_DOWNLOAD_FAILED: .*127\.0\.0\.1:1/m);
    const plain = await cli('release', '1.1.0', '--package', 'http://example.com/app.zip');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^error PACKAGE_NOT_ALLOWED: The router downloads packages over https only/m);
  });

  it('shows a release refused before it starts, and a local path that is no package', async () => {
    const mismatch = await cli('release', '1.1.0', '--package', await stack.stage('1.1.5'), '--wait');
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /^error PACKAGE_VERSION_MISMATCH: .*"1\.1\.5"/m);
    const missing = await cli('release', '1.1.0', '--package', path.join(stack.packagesDir, 'nowhere'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error INVALID_REQUEST: --package .*nowhere: there is no such file or directory/m);
  });

  it('exits non-zero with the error, where it failed and what was undone, when a release fails', async () => {
    const run = await cli('release', '2.0.0', '--package', await stack.stage('2.0.0', 'broken'), '--wait');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^error PLATFORM_DEPLOY_FAILED: .*broken on purpose/m);
    assert.match(run.stderr, /^ {2}release release-2\.0\.0-\S+ of 2\.0\.0 failed while deploying$/m);
    assert.match(run.stderr, /^ {2}cleanup: .*dr-local-v2-0 was deleted/m);
    assert.doesNotMatch(run.stdout, /released/);
    assert.equal(findEntry(await stack.map(), '2.0')?.state, 'failed');
  });

  it('lists instances of every version, filtered, page by page', async () => {
    for (const id of ['wait-a', 'wait-b', 'wait-c']) {
      const started = await stack.app('POST', `/api/waits/${id}`, { 'x-app-version': '1.0' });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      waits.push(id);
    }
    const released = await cli('release', '1.1.0', '--package', await stack.stage('1.1.0'), '--wait');
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stdout, /^current version: 1\.1; draining: 1\.0$/m);
    assert.equal((await stack.app('POST', '/api/waits/wait-d')).status, 202);

    const all = await cli('instances', '--output', 'json');
    assert.equal(all.code, 0, all.stderr);
    const listing = JSON.parse(all.stdout) as Listing;
    assert.deepEqual(listing.instances.map((i) => [i.instanceId, i.routeKey, i.version, i.name]), [
      // Each records the patch it started on (1.0 runs 1.0.1 by now).
      ['wait-a', '1.0', '1.0.1', 'waitForSignal'], ['wait-b', '1.0', '1.0.1', 'waitForSignal'], ['wait-c', '1.0', '1.0.1', 'waitForSignal'], ['wait-d', '1.1', '1.1.0', 'waitForSignal'],
    ]);
    assert.equal(listing.continuationToken, null);

    const table = await cli('instances', '--version', '1.0', '--status', 'Running,Pending', '--name', 'waitForSignal');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^INSTANCE +NAME +VERSION +STATUS +CREATED +UPDATED$/m);
    assert.deepEqual([...table.stdout.matchAll(/^(wait-\w) +waitForSignal +1\.0\.1 +(Running|Pending) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/gm)].map((m) => m[1]), ['wait-a', 'wait-b', 'wait-c']);
    assert.match(table.stdout, /^3 instances$/m);

    const firstPage = await cli('instances', '--top', '3');
    assert.equal(firstPage.code, 0, firstPage.stderr);
    const token = /--continuation-token (\S+)$/m.exec(firstPage.stdout)?.[1];
    assert.ok(token, firstPage.stdout);
    const rest = JSON.parse((await cli('instances', '--all', '--continuation-token', token, '--output', 'json')).stdout) as Listing;
    assert.deepEqual(rest.instances.map((i) => i.instanceId), ['wait-d']);

    const bad = await cli('instances', '--status', 'Sleeping');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error INVALID_REQUEST: "Sleeping" is not a runtime status/m);
  });

  it('refuses to decommission a version with unfinished instances, and says how many', async () => {
    const run = await cli('decommission', '1.0');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error VERSION_STATE_CONFLICT: Version 1\.0 is draining/m);
    assert.match(run.stderr, /^ {2}3 unfinished instances \(3 running, 0 pending, 0 suspended\); .*durable-router decommission 1\.0 --force/m);
    assert.equal(findEntry(await stack.map(), '1.0')?.state, 'draining');
  });

  it('rolls back with current, drains with drain', async () => {
    const rollback = await cli('current', '1.0');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /^1\.0 is now the current version \(active, app dr-local-v1-0\)/m);
    assert.equal((await stack.map()).current, '1.0');
    const forward = await cli('current', '1.1', '--output', 'json');
    assert.deepEqual(JSON.parse(forward.stdout), { routeKey: '1.1', state: 'active', current: '1.1', app: 'dr-local-v1-1' });
    const drain = await cli('drain', '1.0');
    assert.equal(drain.code, 0, drain.stderr);
    assert.match(drain.stdout, /^1\.0 is draining: it takes no new work/m);
    const refused = await cli('drain', '1.1');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error VERSION_STATE_CONFLICT: /m);
  });

  it('decommissions by force with a warning naming the instances it abandons; they stay listed', async () => {
    const run = await cli('decommission', '1.0', '--force');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^1\.0 is decommissioned: its app dr-local-v1-0 was deleted/m);
    assert.match(run.stderr, /^warning: 1\.0 was decommissioned by force, abandoning 3 unfinished instances \(3 running, 0 pending, 0 suspended\)/m);
    assert.deepEqual((await stack.platformApps()).map((app) => app.name), ['dr-local-v1-1']);
    const listed = JSON.parse((await cli('instances', '--version', '1.0', '--output', 'json')).stdout) as Listing;
    assert.deepEqual(listed.instances.map((i) => i.instanceId), waits);
    const versions = await cli('versions');
    assert.match(versions.stdout, /^ +1\.0 +decommissioned/m);
  });

  it('releases an app with a dependency of its own: its node_modules ship with it, npm\'s .bin links stay behind', async () => {
    const dir = await stack.stage('3.0.0');
    // A package the router's own install does not have, so the app can only find it in what it ships.
    const dependency = path.join(dir, 'node_modules', 'greeting-words-for-tests');
    await mkdir(dependency, { recursive: true });
    await writeFile(path.join(dependency, 'package.json'), JSON.stringify({ name: 'greeting-words-for-tests', version: '1.0.0', main: 'index.js', bin: { greet: 'index.js' } }));
    await writeFile(path.join(dependency, 'index.js'), 'module.exports = (name) => `good day, ${name}`;\n');
    await mkdir(path.join(dir, 'node_modules', '.bin'));
    await symlink('../greeting-words-for-tests/index.js', path.join(dir, 'node_modules', '.bin', 'greet'));
    await writeFile(path.join(dir, 'src', 'functions.js'), `${await readFile(path.join(dir, 'src', 'functions.js'), 'utf8')}
const greet = require('greeting-words-for-tests');
app.get('greeting', { route: 'greeting/{name}', handler: async (request) => ({ jsonBody: { greeting: greet(request.params.name) } }) });
`);
    const run = await cli('release', '3.0.0', '--package', dir, '--no-promote', '--wait');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const greeting = await stack.app<{ greeting: string }>('GET', '/api/greeting/Ada', { 'x-app-version': '3.0' });
    assert.equal(greeting.status, 200, JSON.stringify(greeting.body));
    assert.deepEqual(greeting.body, { greeting: 'good day, Ada' });
  });
});
