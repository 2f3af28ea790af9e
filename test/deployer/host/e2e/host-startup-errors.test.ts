import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { baseEnvironment, startHostProcess } from './host-process.js';

/** A host that cannot start says why on stdout (one JSON error line) and exits with code 1. */
describe('local host start-up errors', () => {
  let root: string;
  // Never contacted: every case fails before the host touches storage.
  const unusedStorage = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';

  async function app(name: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(root, name);
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    return dir;
  }

  async function failure(appDir: string): Promise<{ code: string; message: string }> {
    const error = await startHostProcess({ appDir, env: { ...baseEnvironment(), AzureWebJobsStorage: unusedStorage } }).then(
      () => assert.fail('the host started'),
      (e: unknown) => e as Error & { event?: { code: string; message: string } },
    );
    assert.ok(error.event, error.message);
    return error.event;
  }

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'host-start-errors-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('needs host.json', async () => {
    const dir = await app('no-host-json', { 'package.json': '{"main":"index.js"}', 'index.js': '' });
    const { code, message } = await failure(dir);
    assert.equal(code, 'INVALID_CONFIGURATION');
    assert.match(message, /No host\.json/);
  });

  it('names the app setting a %...% host.json value refers to', async () => {
    const dir = await app('missing-setting', {
      'package.json': '{"main":"index.js"}',
      'index.js': '',
      'host.json': '{"version":"2.0","extensions":{"durableTask":{"hubName":"%MY_HUB%"}}}',
    });
    const { code, message } = await failure(dir);
    assert.equal(code, 'INVALID_CONFIGURATION');
    assert.match(message, /"MY_HUB"/);
  });

  it('reports an entry point that throws, naming the file', async () => {
    const dir = await app('throws', {
      'package.json': '{"main":"src/*.js"}',
      'host.json': '{"version":"2.0"}',
      'src/app.js': 'throw new Error("broken at load");',
    });
    const { code, message } = await failure(dir);
    assert.equal(code, 'APP_LOAD_FAILED');
    assert.match(message, /src\/app\.js.*broken at load/);
  });

  it('reports a main that matches no file', async () => {
    const dir = await app('no-files', { 'package.json': '{"main":"dist/*.js"}', 'host.json': '{"version":"2.0"}' });
    const { code, message } = await failure(dir);
    assert.equal(code, 'APP_LOAD_FAILED');
    assert.match(message, /dist\/\*\.js.*no file matches/);
  });
});
