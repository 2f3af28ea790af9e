import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import ts from 'typescript';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { versionFunctionNames } from '../../../deployer/versioned-names/version-names.js';
import type { VersionsManifest } from '../../../deployer/versioned-names/versions-manifest.js';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { assertParses, calledMethods, makeWorkDir, readJson, readTree, repositoryRoot, stageApp, stringLiterals, versionedNamesApp } from './migration-fixtures.js';

const execFileAsync = promisify(execFile);
const cli = path.join(repositoryRoot, 'dist', 'router', 'cli', 'main.js');

let work: string;
before(async () => {
  work = await makeWorkDir('version-names');
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function functionsOf(manifest: VersionsManifest, version: string): VersionsManifest['versions'][number]['functions'] | undefined {
  return manifest.versions.find((entry) => entry.version === version)?.functions;
}

describe('version-names on a CommonJS app in one file (orders-cjs 1.2 → 1.3 → 10.12)', () => {
  let first: string;
  let second: string;

  before(async () => {
    first = path.join(work, 'orders-1.3');
    await versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: versionedNamesApp('orders-cjs/1.2'), to: '1.3', out: first });
  });

  it('keeps the previous version under its plain names in its own folder, without its HTTP functions', async () => {
    const manifest = await readJson<VersionsManifest>(path.join(first, 'durable-router.versions.json'));
    assert.equal(manifest.current, '1.3');
    assert.deepEqual(functionsOf(manifest, '1.2'), { orchestrations: ['ProcessOrder'], activities: ['Describe'], entities: [] });
    assert.deepEqual(manifest.versions.map((entry) => [entry.version, entry.folder]), [['1.2', 'versions/v1_2'], ['1.3', '.']]);
    const previous = path.join(first, 'versions', 'v1_2', 'src', 'index.js');
    assert.ok((await stringLiterals(previous)).has('ProcessOrder'));
    const methods = await calledMethods(previous);
    assert.ok(methods.has('orchestration') && methods.has('activity'));
    assert.ok(!methods.has('http'), 'the previous version\'s HTTP functions are left out');
    assert.equal((await readJson<{ version: string }>(path.join(first, 'versions', 'v1_2', 'package.json'))).version, '1.2.0');
    await assertParses(first);
  });

  it('renames the new version\'s functions and every reference to them, in its own module and in a CommonJS constants module', async () => {
    const manifest = await readJson<VersionsManifest>(path.join(first, 'durable-router.versions.json'));
    assert.deepEqual(functionsOf(manifest, '1.3'), {
      orchestrations: ['ProcessOrder_v1_3', 'WrapGift_v1_3'],
      activities: ['Describe_v1_3', 'Wrap_v1_3'],
      entities: ['OrdersSeen_v1_3'],
    });
    const index = await stringLiterals(path.join(first, 'src', 'index.js'));
    for (const name of ['ProcessOrder_v1_3', 'WrapGift_v1_3', 'Wrap_v1_3', 'OrdersSeen_v1_3']) assert.ok(index.has(name), name);
    for (const name of ['ProcessOrder', 'Wrap', 'OrdersSeen']) assert.ok(!index.has(name), `${name} is left plain`);
    assert.deepEqual(await stringLiterals(path.join(first, 'src', 'names.js')), new Set(['Describe_v1_3', 'Wrap_v1_3']));
    // Event names and other strings are not function names, even when they read like one (the steps it returns).
    assert.ok(index.has('Approval') && index.has('waiting') && index.has('WrapGift'));
  });

  it('starts new instances through an app setting naming the new orchestrator, and writes it down', async () => {
    const settings = { DURABLE_ROUTER_ORCHESTRATOR_ProcessOrder: 'ProcessOrder_v1_3', DURABLE_ROUTER_ORCHESTRATOR_WrapGift: 'WrapGift_v1_3' };
    const manifest = await readJson<VersionsManifest>(path.join(first, 'durable-router.versions.json'));
    assert.deepEqual(manifest.settings, settings);
    assert.deepEqual((await readJson<{ Values: Record<string, string> }>(path.join(first, 'local.settings.json'))).Values, settings);
    const source = ts.createSourceFile('index.js', (await readTree(first)).get('src/index.js') as string, ts.ScriptTarget.ES2022, true);
    const starts: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'startNew') starts.push((node.arguments[0] as ts.Expression).getText(source));
      ts.forEachChild(node, visit);
    };
    visit(source);
    assert.deepEqual(starts, ["process.env.DURABLE_ROUTER_ORCHESTRATOR_ProcessOrder ?? 'ProcessOrder_v1_3'"]);
  });

  it('loads every version from one main glob and merges their dependencies (the newest range within the older)', async () => {
    const manifest = await readJson<{ main: string; dependencies: Record<string, string> }>(path.join(first, 'package.json'));
    assert.equal(manifest.main, '{src/index.js,versions/v1_2/src/index.js}');
    assert.deepEqual(manifest.dependencies, { '@azure/functions': '^4.16.5', 'durable-functions': '^3.5.0' });
  });

  it('is idempotent: run again on its own output, or with the same sources and its output as the previous app, nothing changes', async () => {
    const before = await readTree(first);
    await versionFunctionNames({ appDir: first, previous: first, to: '1.3' });
    assert.deepEqual(await readTree(first), before);
    await versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: first, to: '1.3.0', out: first });
    assert.deepEqual(await readTree(first), before);
  });

  it('migrates again to a multi-digit version: 1.2 and 1.3 keep their names, 10.12 gets _v10_12', async () => {
    const next = await stageApp('orders-cjs/1.3', path.join(work, 'orders-10.12-src'), '10.12.0');
    second = path.join(work, 'orders-10.12');
    const result = await versionFunctionNames({ appDir: next, previous: first, to: '10.12', out: second });
    assert.deepEqual(result.manifest.versions.map((entry) => [entry.version, entry.folder]), [['1.2', 'versions/v1_2'], ['1.3', 'versions/v1_3'], ['10.12', '.']]);
    assert.deepEqual(functionsOf(result.manifest, '1.3')?.orchestrations, ['ProcessOrder_v1_3', 'WrapGift_v1_3']);
    assert.deepEqual(functionsOf(result.manifest, '10.12')?.activities, ['Describe_v10_12', 'Wrap_v10_12']);
    assert.equal(result.settings['DURABLE_ROUTER_ORCHESTRATOR_ProcessOrder'], 'ProcessOrder_v10_12');
    // 1.3's code moved as it was deployed (its names, its CommonJS constants), without its HTTP functions.
    assert.deepEqual(await stringLiterals(path.join(second, 'versions', 'v1_3', 'src', 'names.js')), new Set(['Describe_v1_3', 'Wrap_v1_3']));
    assert.ok(!(await calledMethods(path.join(second, 'versions', 'v1_3', 'src', 'index.js'))).has('http'));
    assert.equal((await readJson<{ main: string }>(path.join(second, 'package.json'))).main, '{src/index.js,versions/v1_2/src/index.js,versions/v1_3/src/index.js}');
    await assertParses(second);
  });

  it('drops drained versions with --drop, and refuses to drop the new one or one it does not hold', async () => {
    const dropped = path.join(work, 'orders-10.12-dropped');
    const result = await versionFunctionNames({ appDir: second, previous: second, to: '10.12', out: dropped, drop: ['1.2'] });
    assert.deepEqual(result.manifest.versions.map((entry) => entry.version), ['1.3', '10.12']);
    assert.deepEqual(await readdir(path.join(dropped, 'versions')), ['v1_3']);
    assert.equal((await readJson<{ main: string }>(path.join(dropped, 'package.json'))).main, '{src/index.js,versions/v1_3/src/index.js}');
    await assert.rejects(versionFunctionNames({ appDir: second, previous: second, to: '10.12', out: path.join(work, 'x'), drop: ['10.12'] }), (error) => isRouterError(error, 'VERSION_NAMES_INVALID') && /new version/.test(error.message));
    await assert.rejects(versionFunctionNames({ appDir: second, previous: second, to: '10.12', out: path.join(work, 'x'), drop: ['1.5'] }), (error) => isRouterError(error, 'VERSION_NAMES_INVALID') && /holds 1\.2, 1\.3/.test(error.message));
  });

  it('refuses a --to that is not newer than the previous app', async () => {
    await assert.rejects(versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: second, to: '1.3', out: path.join(work, 'x') }), (error) => isRouterError(error, 'VERSION_NAMES_INVALID') && /older than/.test(error.message));
    await assert.rejects(versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: versionedNamesApp('orders-cjs/1.2'), to: '1.2', out: path.join(work, 'x') }), (error) => isRouterError(error, 'VERSION_NAMES_INVALID') && /already 1\.2/.test(error.message));
  });

  it('takes the previous app as a package zip too, with the same result', async () => {
    const zip = path.join(work, 'orders-1.2.zip');
    await pipeline((await zipDirectory(versionedNamesApp('orders-cjs/1.2'))).stream, createWriteStream(zip));
    const fromZip = path.join(work, 'orders-1.3-from-zip');
    await versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: zip, to: '1.3', out: fromZip });
    assert.deepEqual(await readTree(fromZip), await readTree(first));
  });
});

describe('version-names on an ES-module app with a folder per function, constants and re-exports (fulfil-esm 2.0 → 2.1)', () => {
  let out: string;

  before(async () => {
    const next = await stageApp('fulfil-esm', path.join(work, 'fulfil-2.1-src'), '2.1.0');
    out = path.join(work, 'fulfil-2.1');
    await versionFunctionNames({ appDir: next, previous: versionedNamesApp('fulfil-esm'), to: '2.1', out });
  });

  it('rewrites the names where the constants module declares them, through the re-exports', async () => {
    assert.deepEqual(await stringLiterals(path.join(out, 'src', 'names.js')), new Set(['Fulfil_v2_1', 'PickItems_v2_1', 'PackItems_v2_1', 'Stock_v2_1']));
    assert.deepEqual(await stringLiterals(path.join(out, 'versions', 'v2_0', 'src', 'names.js')), new Set(['Fulfil', 'PickItems', 'PackItems', 'Stock']));
    const manifest = await readJson<VersionsManifest>(path.join(out, 'durable-router.versions.json'));
    assert.deepEqual(functionsOf(manifest, '2.1'), { orchestrations: ['Fulfil_v2_1'], activities: ['PackItems_v2_1', 'PickItems_v2_1'], entities: ['Stock_v2_1'] });
    assert.deepEqual(functionsOf(manifest, '2.0'), { orchestrations: ['Fulfil'], activities: ['PackItems', 'PickItems'], entities: ['Stock'] });
  });

  it('keeps each version an ES-module graph of its own, loaded by one glob', async () => {
    const manifest = await readJson<{ main: string; type: string }>(path.join(out, 'package.json'));
    assert.equal(manifest.main, '{src/functions/**/*.js,versions/v2_0/src/functions/**/*.js}');
    assert.equal((await readJson<{ type: string }>(path.join(out, 'versions', 'v2_0', 'package.json'))).type, 'module');
    assert.deepEqual(await readdir(path.join(out, 'versions', 'v2_0', 'src', 'functions')), ['fulfil', 'http', 'pick', 'stock']);
    const starter = path.join(out, 'versions', 'v2_0', 'src', 'functions', 'http', 'start.js');
    assert.ok(!(await calledMethods(starter)).has('http'), 'the previous version\'s HTTP functions are left out');
    await assertParses(out);
  });
});

describe('version-names on a TypeScript app (checkout-ts 3.0 → 3.1)', () => {
  let out: string;

  before(async () => {
    const next = await stageApp('checkout-ts', path.join(work, 'checkout-3.1-src'), '3.1.0');
    out = path.join(work, 'checkout-3.1');
    const result = await versionFunctionNames({ appDir: next, previous: versionedNamesApp('checkout-ts'), to: '3.1', out });
    assert.equal(result.needsBuild, true);
  });

  it('rewrites the TypeScript sources (enum members and constants) and leaves the build to the app\'s own', async () => {
    assert.deepEqual(
      [...(await stringLiterals(path.join(out, 'src', 'names.ts')))].filter((text) => text.includes('_v')).sort(),
      ['Charge_v3_1', 'Checkout_v3_1', 'NotifyFlow_v3_1', 'Notify_v3_1'],
    );
    const files = [...(await readTree(out)).keys()];
    assert.ok(!files.some((file) => file.startsWith('dist/')), 'the stale build of the plain names is not copied');
  });

  it('builds the previous version once, into its folder, from its own tsconfig', async () => {
    const built = path.join(out, 'versions', 'v3_0', 'dist', 'src', 'functions', 'checkout.js');
    const methods = await calledMethods(built);
    assert.ok(methods.has('orchestration') && !methods.has('http'));
    assert.ok((await stringLiterals(path.join(out, 'versions', 'v3_0', 'dist', 'src', 'names.js'))).has('Checkout'));
    assert.equal((await readJson<{ main: string }>(path.join(out, 'package.json'))).main, '{dist/src/functions/*.js,versions/v3_0/dist/src/functions/*.js}');
  });

  it('keeps versions/ out of the app\'s tsconfig, and the rewritten app type-checks', async () => {
    const tsconfig = ts.readConfigFile(path.join(out, 'tsconfig.json'), (file) => ts.sys.readFile(file));
    const parsed = ts.parseJsonConfigFileContent(tsconfig.config, ts.sys, out);
    assert.ok(parsed.fileNames.length > 0 && parsed.fileNames.every((file) => !file.includes('/versions/')), parsed.fileNames.join(', '));
    const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    assert.deepEqual(diagnostics, []);
  });

  it('is idempotent on its output', async () => {
    const before = await readTree(out);
    await versionFunctionNames({ appDir: out, previous: out, to: '3.1' });
    assert.deepEqual(await readTree(out), before);
  });
});

describe('version-names refuses what it cannot rewrite safely, naming file and line', () => {
  const cases: [string, RegExp][] = [
    ['computed-name', /src\/index\.js:6: context\.df\.callActivity\('Pay_' \+ region\): the activity name is computed at run time/],
    ['parameter-name', /src\/index\.js:6: context\.df\.callActivity\(step\): the activity name step is a parameter/],
    ['let-name', /src\/index\.js:6: .*activity is a let or var.*\(src\/index\.js:3\)/],
    ['dynamic-require', /src\/index\.js:4: require\(path\.join\(__dirname, 'steps', step\)\): the module it loads is computed at run time/],
    ['dynamic-import', /src\/index\.js:7: import\(`\.\/plugins\/\$\{plugin\}\.js`\): the module it loads is computed at run time/],
    ['eval', /src\/index\.js:6: eval\(.*eval runs code the migration cannot read/],
    ['outside-import', /src\/index\.js:2: imports "\.\.\/\.\.\/shared-names", outside the app's folder/],
    ['unknown-activity', /src\/index\.js:5: context\.df\.callActivity\('Ship'\): no activity "Ship" is registered by this version/],
  ];
  for (const [fixture, message] of cases) {
    it(fixture, async () => {
      const out = path.join(work, `refused-${fixture}`);
      await assert.rejects(
        versionFunctionNames({ appDir: versionedNamesApp(`refusals/${fixture}`), previous: versionedNamesApp('orders-cjs/1.2'), to: '1.3', out }),
        (error) => isRouterError(error, 'VERSION_NAMES_UNSAFE') && message.test(error.message),
      );
      await assert.rejects(readdir(out), { code: 'ENOENT' });
      assert.deepEqual((await readdir(work)).filter((entry) => entry.includes('.version-names-')), [], 'no staging folder is left behind');
    });
  }

  it('prints the refusal as other commands print errors, and exits 1', async () => {
    const run = execFileAsync(process.execPath, [cli, 'version-names', versionedNamesApp('refusals/computed-name'), '--previous', versionedNamesApp('orders-cjs/1.2'), '--to', '1.3', '--out', path.join(work, 'refused-cli')]);
    await assert.rejects(run, (error: { code: number; stderr: string }) => error.code === 1 && error.stderr.startsWith('error VERSION_NAMES_UNSAFE: ') && error.stderr.includes('src/index.js:6:'));
  });
});

describe('version-names and dependencies', () => {
  it('refuses two versions needing incompatible ranges of one dependency, naming both', async () => {
    const previous = await stageApp('orders-cjs/1.2', path.join(work, 'deps-1.2'));
    const manifest = await readJson<Record<string, unknown>>(path.join(previous, 'package.json'));
    await writeFile(path.join(previous, 'package.json'), JSON.stringify({ ...manifest, dependencies: { ...(manifest['dependencies'] as object), luxon: '^2.5.0' } }));
    const next = await stageApp('orders-cjs/1.3', path.join(work, 'deps-1.3'));
    const nextManifest = await readJson<Record<string, unknown>>(path.join(next, 'package.json'));
    await writeFile(path.join(next, 'package.json'), JSON.stringify({ ...nextManifest, dependencies: { ...(nextManifest['dependencies'] as object), luxon: '^3.4.0' } }));
    await assert.rejects(
      versionFunctionNames({ appDir: next, previous, to: '1.3', out: path.join(work, 'deps-out') }),
      (error) => isRouterError(error, 'VERSION_NAMES_DEPENDENCY_CONFLICT') && error.message.includes('luxon: 1.3 needs "^3.4.0", 1.2 needs "^2.5.0"'),
    );
  });

  it('adds a dependency only an earlier version declares', async () => {
    const previous = await stageApp('orders-cjs/1.2', path.join(work, 'deps-only-1.2'));
    const manifest = await readJson<Record<string, unknown>>(path.join(previous, 'package.json'));
    await writeFile(path.join(previous, 'package.json'), JSON.stringify({ ...manifest, dependencies: { ...(manifest['dependencies'] as object), luxon: '^2.5.0' } }));
    const out = path.join(work, 'deps-only-out');
    await versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous, to: '1.3', out });
    assert.equal((await readJson<{ dependencies: Record<string, string> }>(path.join(out, 'package.json'))).dependencies['luxon'], '^2.5.0');
  });

  it('refuses an --out folder that holds something else', async () => {
    const occupied = path.join(work, 'occupied');
    await mkdir(occupied, { recursive: true });
    await writeFile(path.join(occupied, 'notes.txt'), 'mine');
    await assert.rejects(
      versionFunctionNames({ appDir: versionedNamesApp('orders-cjs/1.3'), previous: versionedNamesApp('orders-cjs/1.2'), to: '1.3', out: occupied }),
      (error) => isRouterError(error, 'VERSION_NAMES_INVALID') && /not an earlier output/.test(error.message),
    );
    assert.deepEqual(await readdir(occupied), ['notes.txt']);
  });
});
