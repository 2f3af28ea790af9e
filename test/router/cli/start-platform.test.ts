/**
 * `durable-router start` with ROUTER_PLATFORM=azure refuses, before it starts anything, settings it
 * cannot run with, naming each, and a data folder whose router runs its apps on the other platform.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { runCli } from './fixtures/cli-process.js';

const workDir = path.join(repositoryRoot, '.data', 'test', `start-platform-${randomUUID()}`);
after(() => rm(workDir, { recursive: true, force: true }));

const azureSettings = {
  ROUTER_PLATFORM: 'azure',
  AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
  ROUTER_RESOURCE_GROUP: 'rg-router',
  ROUTER_LOCATION: 'westeurope',
  ROUTER_PORT: '0',
};

describe('durable-router start on Azure', () => {
  it('names every missing Azure setting and starts nothing', async () => {
    const dataDir = path.join(workDir, 'missing');
    const run = await runCli(['start', '--data-dir', dataDir], { env: { ROUTER_PLATFORM: 'azure', AZURE_SUBSCRIPTION_ID: '', ROUTER_RESOURCE_GROUP: '', ROUTER_LOCATION: '' } });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^error INVALID_CONFIGURATION: ROUTER_PLATFORM=azure needs valid settings: AZURE_SUBSCRIPTION_ID is missing; ROUTER_RESOURCE_GROUP is missing; ROUTER_LOCATION is missing/m);
    await assert.rejects(readdir(dataDir), /ENOENT/, 'nothing was made');
  });

  it('refuses a data folder whose router runs its apps on the local platform', async () => {
    const dataDir = path.join(workDir, 'used-locally');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, 'platform-kind'), 'local\n');
    const run = await runCli(['start', '--data-dir', dataDir], { env: azureSettings });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^error INVALID_CONFIGURATION: .*used-locally holds a router whose apps run on the local platform; ROUTER_PLATFORM=azure needs a data folder of its own/m);
    assert.deepEqual(await readdir(dataDir), ['platform-kind'], 'no keys, no storage, no control plane');
  });
});
