/**
 * The demo's 1.1.0 is the sample app with a change to its compiled workflow: this catches the
 * sample app drifting away from what the change expects before a newcomer's `npm run demo` does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stageVersion1, stageVersion1Dot1 } from '../../../router/demo/demo-packages.js';
import { sampleAppDir } from '../../deployer/host/fixture-apps.js';

const run = promisify(execFile);
const workflow = (dir: string): string => path.join(dir, 'dist', 'src', 'functions', 'orders.js');

describe('the demo\'s two versions of the sample app', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'demo-packages-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stages 1.0.0 as the sample app is, and 1.1.0 with a gift-wrapping step in its order workflow', async () => {
    const [v1, v11] = [path.join(dir, '1.0.0'), path.join(dir, '1.1.0')];
    await stageVersion1(sampleAppDir, v1);
    await stageVersion1Dot1(sampleAppDir, v11);
    assert.equal((JSON.parse(await readFile(path.join(v11, 'package.json'), 'utf8')) as { version: string }).version, '1.1.0');
    assert.equal(await readFile(workflow(v1), 'utf8'), await readFile(workflow(sampleAppDir), 'utf8'));
    const changed = await readFile(workflow(v11), 'utf8');
    assert.match(changed, /yield context\.df\.callActivity\('giftWrap'[\s\S]*stage: 'shipping'/);
    assert.match(changed, /df\.app\.activity\('giftWrap'/);
    await run(process.execPath, ['--check', workflow(v11)]);
  });
});
