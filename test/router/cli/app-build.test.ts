import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, planBuild } from '../../../router/cli/release/app-build.js';
import { isRouterError } from '../../../shared/errors/router-error.js';

let workDir: string;
before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'app-build-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function app(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(workDir, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

describe('planBuild and buildApp', () => {
  it('builds an app with a tsconfig.json or an entry point not built yet, when it has a build script', async () => {
    const typed = await app('typed', { 'tsconfig.json': '{}', 'dist/index.js': '' });
    assert.deepEqual(await planBuild(typed, { main: 'dist/index.js', scripts: { build: 'tsc' } }), { kind: 'build', reason: 'it has a tsconfig.json' });
    const unbuilt = await app('unbuilt', { 'src/index.ts': '' });
    assert.deepEqual(await planBuild(unbuilt, { main: 'dist/functions/*.js', scripts: { build: 'esbuild' } }), {
      kind: 'build', reason: 'its package.json "main" (dist/functions/*.js) names no file yet',
    });
  });

  it('leaves a JavaScript app, and a TypeScript one built some other way, as they are', async () => {
    const plain = await app('plain', { 'src/functions/a.js': '' });
    assert.deepEqual(await planBuild(plain, { main: 'src/functions/*.js' }), { kind: 'none' });
    assert.deepEqual(await planBuild(plain, {}), { kind: 'none' });
    const prebuilt = await app('prebuilt', { 'tsconfig.json': '{}', 'dist/index.js': '' });
    assert.deepEqual(await planBuild(prebuilt, { main: 'dist/index.js' }), { kind: 'none' });
  });

  it('says an app must be built when it has no build script and no built entry point', async () => {
    const dir = await app('no-script', { 'tsconfig.json': '{}' });
    const plan = await planBuild(dir, { main: 'dist/index.js', scripts: { test: 'node --test' } });
    assert.equal(plan.kind, 'unbuilt');
    await assert.rejects(buildApp(dir, plan), (error: unknown) => {
      assert.ok(isRouterError(error, 'PACKAGE_BUILD_FAILED'));
      assert.match(error.message, /must be built before it is released: it has a tsconfig.json, and its package.json has no "build" script/);
      return true;
    });
  });

  it('reports a failing build with its last lines', async () => {
    const dir = await app('failing', {
      'package.json': JSON.stringify({ name: 'failing', version: '1.0.0', main: 'dist/index.js', scripts: { build: 'node build.js' } }),
      'build.js': 'for (let i = 1; i <= 30; i++) console.log(`line ${i}`);\nconsole.error("src/index.ts(3,7): error TS2322: broken on purpose");\nprocess.exit(2);\n',
    });
    await assert.rejects(buildApp(dir, await planBuild(dir, { main: 'dist/index.js', scripts: { build: 'node build.js' } })), (error: unknown) => {
      assert.ok(isRouterError(error, 'PACKAGE_BUILD_FAILED'));
      assert.match(error.message, /"npm run build" failed in .*failing \(exit code 2\)/);
      assert.match(error.message, /line 30\n {2}src\/index.ts\(3,7\): error TS2322: broken on purpose$/);
      assert.doesNotMatch(error.message, /line 5\n/);
      return true;
    });
  });
});
