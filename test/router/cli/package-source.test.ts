import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPackageUrl, resolvePackageSource } from '../../../router/cli/release/package-source.js';
import { isRouterError } from '../../../shared/errors/router-error.js';

describe('resolvePackageSource', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'package-source-'));
    await mkdir(path.join(dir, 'app'));
    await writeFile(path.join(dir, 'app.zip'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]));
    await writeFile(path.join(dir, 'empty.zip'), Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]));
    await writeFile(path.join(dir, 'notes.txt'), 'not a zip');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes URLs through, whatever the scheme: the router says which it accepts', async () => {
    assert.deepEqual(await resolvePackageSource('https://example.com/app.zip?sv=1'), { kind: 'url', url: 'https://example.com/app.zip?sv=1' });
    assert.equal(isPackageUrl('ftp://example.com/app.zip'), true);
    assert.equal(isPackageUrl('./https-looking-dir'), false);
    assert.equal(isPackageUrl('C:\\apps\\x'), false);
  });

  it('tells a directory from a zip by what is on disk, relative to the working directory', async () => {
    assert.deepEqual(await resolvePackageSource('app', dir), { kind: 'directory', path: path.join(dir, 'app') });
    assert.deepEqual(await resolvePackageSource(path.join(dir, 'app.zip')), { kind: 'zip', path: path.join(dir, 'app.zip') });
    assert.deepEqual(await resolvePackageSource('empty.zip', dir), { kind: 'zip', path: path.join(dir, 'empty.zip') });
  });

  it('refuses what is missing or neither a directory nor a zip', async () => {
    for (const [argument, message] of [['missing', /no such file or directory/], ['notes.txt', /neither a directory nor a zip file/], ['  ', /--package is empty/]] as const) {
      await assert.rejects(resolvePackageSource(argument, dir), (error) => isRouterError(error, 'INVALID_REQUEST') && message.test(error.message), argument);
    }
  });
});
