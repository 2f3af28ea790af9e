/**
 * Kept packages shared by the control plane's instances through a blob container (real Azurite):
 * each instance has its own disk, as on Flex Consumption; what one keeps, another fetches.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { pino } from 'pino';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { listPackageDirectory } from '../../../deployer/platform/package/package-directory.js';
import { BlobKeptPackageMirror } from '../../../router/control-plane/packages/blob-kept-package-mirror.js';
import { KeptPackages } from '../../../router/control-plane/packages/kept-packages.js';
import { PackageIntake } from '../../../router/releases/package/package-intake.js';
import { stageAppAsVersion } from '../../../router/embedded/staged-app.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests({ blob: true });
const workDir = path.join(repositoryRoot, '.data', 'test', `kept-packages-${randomUUID()}`);
const container = 'kept-packages-tests';
const routerId = 'tests';
const logged: string[] = [];
const logger = pino({ level: 'info' }, new Writable({
  write(chunk: Buffer, _encoding, done) {
    logged.push(chunk.toString('utf8'));
    done();
  },
}));
const intake = new PackageIntake({ packageDirectories: [path.join(workDir, 'apps')], stagingDir: path.join(workDir, 'staging') });

/** One instance of the control plane: its own folder, the shared container. */
function instance(name: string): KeptPackages {
  const mirror = new BlobKeptPackageMirror({ connectionString: azurite.connectionString, container, routerId, logger });
  return new KeptPackages({ root: path.join(workDir, name, 'packages'), limits: intake.limits, mirror });
}

async function takeIn(version: string): Promise<Awaited<ReturnType<PackageIntake['takeIn']>>> {
  const dir = path.join(workDir, 'apps', `${version}-${randomUUID()}`);
  await stageAppAsVersion(fixtureApp('release-app'), dir, version);
  return intake.takeIn({ kind: 'reference', reference: dir }, version);
}

/** Every file of a folder with its sha256. */
async function fileHashes(dir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const file of (await listPackageDirectory(dir)).files) hashes[file.path] = createHash('sha256').update(await readFile(file.absolutePath)).digest('hex');
  return hashes;
}

async function blobNames(containerClient: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of containerClient.listBlobsFlat({ prefix: 'kept/' })) names.push(blob.name);
  return names;
}

async function leftovers(keptPackages: string): Promise<string[]> {
  return readdir(path.join(keptPackages, '.incoming')).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
}

describe('kept packages shared by the control plane\'s instances', () => {
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
  let sha256: string;
  let keptDir: string;

  before(async () => {
    const taken = await takeIn('1.0.0');
    sha256 = taken.sha256;
    keptDir = await instance('a').keep(taken);
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('stores what one instance keeps in the container, by router and content hash', async () => {
    assert.deepEqual(await blobNames(blobs), [`kept/${routerId}/${sha256}.zip`]);
  });

  it('gives another instance the same files, fetched into its own folder', async () => {
    const fetched = await instance('b').localPath(sha256);
    assert.equal(fetched, path.join(workDir, 'b', 'packages', sha256));
    const expected = await fileHashes(keptDir);
    assert.ok(Object.keys(expected).includes('host.json'));
    assert.deepEqual(await fileHashes(fetched), expected);
    assert.deepEqual(await leftovers(path.join(workDir, 'b', 'packages')), []);
    assert.equal(await instance('b').localPath(sha256), fetched, 'the second time it is already here');
  });

  it('lets fetches of one package at once all succeed, in one process and from two on one disk', async () => {
    const c1 = instance('c');
    const c2 = instance('c');
    const paths = await Promise.all([c1.localPath(sha256), c1.localPath(sha256), c2.localPath(sha256), c2.localPath(sha256)]);
    const target = path.join(workDir, 'c', 'packages', sha256);
    assert.deepEqual(paths, [target, target, target, target]);
    assert.deepEqual(await fileHashes(target), await fileHashes(keptDir));
    assert.deepEqual(await leftovers(path.join(workDir, 'c', 'packages')), [], 'the losers\' copies are gone');
  });

  it('answers undefined for a package nobody kept, and leaves nothing behind', async () => {
    const unknown = createHash('sha256').update('never kept').digest('hex');
    assert.equal(await instance('d').localPath(unknown), undefined);
    assert.deepEqual(await leftovers(path.join(workDir, 'd', 'packages')), []);
  });

  it('refuses a shared copy that does not hold the files its name says', async () => {
    const e = instance('e');
    const [two, three] = [await takeIn('2.0.0'), await takeIn('3.0.0')];
    await e.keep(two);
    await e.keep(three);
    const zipOfTwo = await blobs.getBlobClient(`kept/${routerId}/${two.sha256}.zip`).downloadToBuffer();
    await blobs.getBlockBlobClient(`kept/${routerId}/${three.sha256}.zip`).uploadData(zipOfTwo);
    await assert.rejects(instance('f').localPath(three.sha256), (error) => isRouterError(error) && error.code === 'INTERNAL' && /holds other files/.test(error.message));
    assert.deepEqual(await leftovers(path.join(workDir, 'f', 'packages')), []);
    await e.remove(two.sha256);
    await e.remove(three.sha256);
  });

  it('removes the shared copy with the local one: an instance without it then finds none', async () => {
    const a = instance('a');
    await a.remove(sha256);
    assert.equal(await a.localPath(sha256), undefined);
    assert.equal(await instance('g').localPath(sha256), undefined);
    assert.deepEqual(await blobNames(blobs), []);
  });

  it('never logs the connection string', () => {
    assert.ok(logged.length > 0);
    assert.ok(logged.every((line) => !line.includes(azurite.connectionString) && !/AccountKey=/i.test(line)));
  });
});
