import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFile, chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { parseVersion } from '../../shared/versions/semantic-version.js';
import { repositoryRoot, sampleAppDir } from '../deployer/host/fixture-apps.js';
import { cliPath } from '../router/cli/fixtures/cli-process.js';
import { ReleaseStack } from '../router/control-plane/fixtures/release-stack.js';
import { azureTemplate, githubTemplate, type PipelineRef, type PipelineRunContext, type PipelineTemplate } from './fixtures/pipeline-templates.js';

/*
 * The templates' own shell, run as the runners run it, against a real router (local platform)
 * with the sample app as a team has it in its repository, in a subfolder the team names.
 */
const workDir = path.join(repositoryRoot, '.data', 'test', `pipelines-${randomUUID()}`);
const appDirectory = 'apps/orders';
let stack: ReleaseStack;
let shimPath: string;

before(async () => {
  const bin = path.join(workDir, 'bin');
  await mkdir(bin, { recursive: true });
  // The CLI as `npm install --global` would put it on PATH: a `durable-router` command.
  await writeFile(path.join(bin, 'durable-router'), `#!/bin/sh\nexec '${process.execPath}' '${cliPath}' "$@"\n`);
  await chmod(path.join(bin, 'durable-router'), 0o755);
  shimPath = [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
  stack = await ReleaseStack.start({ platform: 'local' });
});

after(async () => {
  await stack?.stop();
  await rm(workDir, { recursive: true, force: true });
});

let checkouts = 0;

/** A checkout of a team's repository: the sample app at `appDirectory`, with the routed-app host.json template. */
async function checkout(packageVersion: string, variant: 'good' | 'broken' = 'good'): Promise<string> {
  const workspace = path.join(workDir, `checkout-${++checkouts}`);
  const app = path.join(workspace, appDirectory);
  await stageAppAsVersion(sampleAppDir, app, packageVersion);
  await copyFile(path.join(repositoryRoot, 'templates', 'host.json'), path.join(app, 'host.json'));
  // Broken in its source: the pipeline (and the CLI) build it, so a broken dist/ would be rebuilt away.
  if (variant === 'broken') await appendFile(path.join(app, 'src', 'functions', 'orders.ts'), '\nthrow new Error("this build is broken on purpose");\n');
  return workspace;
}

function context(workspace: string, ref: PipelineRef, adminKey = stack.adminKey): PipelineRunContext {
  return {
    workspace,
    appDirectory,
    ref,
    secrets: { ROUTER_URL: stack.url, ROUTER_ADMIN_KEY: adminKey },
    path: shimPath,
    runnerTemp: path.join(workspace, '.runner-temp'),
  };
}

/** The versions the front door routes to (a failed release of a new major.minor stays in the map, marked failed). */
async function releasedVersions(): Promise<string[]> {
  return (await stack.map()).versions.filter((entry) => entry.state === 'active').flatMap((entry) => entry.versions);
}

function output(run: { stdout: string; stderr: string }): string {
  return `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

const templates: readonly [string, () => Promise<PipelineTemplate>, { branch: string; tag: string; broken: string }][] = [
  ['GitHub Actions', githubTemplate, { branch: '2.0.0', tag: '2.0.1', broken: '2.1.0' }],
  ['Azure Pipelines', azureTemplate, { branch: '2.0.2', tag: '2.0.3', broken: '2.0.4' }],
];

// In order: GitHub's first release makes the 2.0 app; the others are patches onto it, or fail.
for (const [system, load, versions] of templates) {
  describe(`the ${system} template's release`, () => {
    let template: PipelineTemplate;
    before(async () => {
      template = await load();
    });

    it('releases package.json\'s version on a branch run, showing the progress, and the version is in the map', async () => {
      const run = context(await checkout(versions.branch), { kind: 'branch', name: 'main' });
      const determined = await template.determineVersion(run);
      assert.equal(determined.code, 0, output(determined));
      assert.equal(determined.version, versions.branch);

      const released = await template.release(run, determined.handoff);
      assert.equal(released.code, 0, output(released));
      assert.match(released.stdout, /deploying/, 'the release\'s steps show in the log');
      assert.match(released.stdout, new RegExp(`released ${versions.branch.replaceAll('.', '\\.')} in`));
      assert.ok(!`${released.stdout}${released.stderr}`.includes(stack.adminKey), 'the admin key is never printed');
      assert.ok((await releasedVersions()).includes(versions.branch));
    });

    it('releases the tag\'s version on a tag run', async () => {
      const run = context(await checkout(versions.tag), { kind: 'tag', name: `v${versions.tag}` });
      const determined = await template.determineVersion(run);
      assert.equal(determined.code, 0, output(determined));
      assert.equal(determined.version, versions.tag);
      const released = await template.release(run, determined.handoff);
      assert.equal(released.code, 0, output(released));
      assert.ok((await releasedVersions()).includes(versions.tag));
    });

    it('fails the step when the release fails: a build whose functions do not load', async () => {
      const run = context(await checkout(versions.broken, 'broken'), { kind: 'branch', name: 'main' });
      const determined = await template.determineVersion(run);
      assert.equal(determined.code, 0, output(determined));
      const released = await template.release(run, determined.handoff);
      assert.notEqual(released.code, 0, output(released));
      assert.match(released.stderr, /^error [A-Z_]+: /m, output(released));
      assert.ok(!(await releasedVersions()).includes(versions.broken), JSON.stringify(await stack.map()));
    });

    it('fails the step when the admin key is wrong, and releases nothing', async () => {
      const before = await releasedVersions();
      const run = context(await checkout('2.0.9'), { kind: 'branch', name: 'main' }, 'not-the-admin-key');
      const determined = await template.determineVersion(run);
      const released = await template.release(run, determined.handoff);
      assert.notEqual(released.code, 0, output(released));
      assert.match(released.stderr, /UNAUTHORIZED/, output(released));
      assert.deepEqual(await releasedVersions(), before);
    });

    it('refuses a tag that does not match package.json\'s version, naming both', async () => {
      const run = context(await checkout('2.0.9'), { kind: 'tag', name: 'v2.1.9' });
      const determined = await template.determineVersion(run);
      assert.notEqual(determined.code, 0, output(determined));
      assert.equal(determined.version, undefined, 'no version is handed on');
      assert.match(determined.stdout, /v2\.1\.9 does not match package\.json's version 2\.0\.9/);
    });

    it('refuses a tag that is not v<version>', async () => {
      const run = context(await checkout('2.0.9'), { kind: 'tag', name: '2.0.9' });
      const determined = await template.determineVersion(run);
      assert.notEqual(determined.code, 0, output(determined));
      assert.equal(determined.version, undefined);
    });

    it('accepts exactly the versions the router accepts', async () => {
      const workspace = await checkout('0.0.0');
      const manifest = path.join(workspace, appDirectory, 'package.json');
      const candidates = ['1.2.3', '0.0.1', '10.20.30', '1.2.3-beta.1', '1.2.3-rc-1.x', '1.2', '1.2.3.4', '01.2.3', '1.2.3-01', '1.2.3+build.5', 'v1.2.3', '1.2.3-', ' 1.2.3', 'latest'];
      for (const candidate of candidates) {
        await writeFile(manifest, JSON.stringify({ name: 'order-workflow-sample', version: candidate }));
        const routerAccepts = (() => {
          try {
            parseVersion(candidate);
            return true;
          } catch {
            return false;
          }
        })();
        const determined = await template.determineVersion(context(workspace, { kind: 'branch', name: 'main' }));
        assert.equal(determined.code === 0, routerAccepts, `${JSON.stringify(candidate)}: the router ${routerAccepts ? 'accepts' : 'refuses'} it\n${output(determined)}`);
        assert.equal(determined.version, routerAccepts ? candidate : undefined);
        if (!routerAccepts) assert.match(determined.stdout, /is not a version durable-router releases/);
      }
    });
  });
}
