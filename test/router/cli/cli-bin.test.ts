import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';

const execFileAsync = promisify(execFile);

describe('the durable-router command', () => {
  it('runs as the README runs it, with npx in the project', async () => {
    const { version } = JSON.parse(await readFile(path.join(repositoryRoot, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await execFileAsync('npx', ['--no-install', 'durable-router', '--version'], { cwd: repositoryRoot });
    assert.equal(stdout.trim(), version);
  });
});
