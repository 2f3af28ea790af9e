import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { azurePipelineFile, readAzurePipeline, type AzureStep } from './fixtures/pipeline-templates.js';

/**
 * The tasks the template may use and their inputs (from each task's task.json): no Azure DevOps
 * schema can be fetched here, so a task or input outside this table fails the test until it is
 * checked and added.
 */
const knownTasks: Readonly<Record<string, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  'NodeTool@0': {
    required: [],
    optional: ['versionSource', 'versionSpec', 'versionFilePath', 'checkLatest', 'force32bit', 'nodejsMirror'],
  },
};

/** Keys a step may have, besides the one that says what it is (task, script, checkout). */
const commonStepKeys = ['displayName', 'name', 'condition', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes', 'retryCountOnTaskFailure', 'target'];
const stepKeys: Readonly<Record<string, readonly string[]>> = {
  task: ['inputs', ...commonStepKeys],
  script: ['workingDirectory', 'failOnStderr', ...commonStepKeys],
  checkout: ['clean', 'fetchDepth', 'fetchFilter', 'fetchTags', 'lfs', 'persistCredentials', 'submodules', 'path', 'sparseCheckoutDirectories', 'sparseCheckoutPatterns', 'workspaceRepo', 'condition', 'displayName', 'name', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes', 'retryCountOnTaskFailure', 'target'],
};
const pipelineKeys = ['name', 'appendCommitMessageToRunName', 'trigger', 'pr', 'schedules', 'resources', 'parameters', 'variables', 'pool', 'steps', 'lockBehavior'];

function kindOf(step: AzureStep): string {
  const kinds = Object.keys(step).filter((key) => key in stepKeys);
  assert.equal(kinds.length, 1, `a step is one of ${Object.keys(stepKeys).join(', ')}: ${JSON.stringify(step)}`);
  return kinds[0]!;
}

describe('the Azure Pipelines release pipeline', () => {
  it('uses only known keys, tasks and task inputs', async () => {
    const pipeline = await readAzurePipeline();
    for (const key of Object.keys(pipeline)) assert.ok(pipelineKeys.includes(key), `unknown top-level key ${key}`);
    for (const step of pipeline.steps) {
      const kind = kindOf(step);
      for (const key of Object.keys(step)) assert.ok(key === kind || stepKeys[kind]!.includes(key), `unknown key ${key} in a ${kind} step`);
      if (step.task === undefined) continue;
      const task = knownTasks[step.task];
      assert.ok(task !== undefined, `the task ${step.task} is not in the table of checked tasks`);
      const inputs = Object.keys(step.inputs ?? {});
      for (const input of inputs) assert.ok([...task.required, ...task.optional].includes(input), `${step.task} has no input ${input}`);
      for (const input of task.required) assert.ok(inputs.includes(input), `${step.task} needs the input ${input}`);
    }
  });

  it('sets up Node 22 with NodeTool@0 on a Linux agent (the scripts are bash)', async () => {
    const pipeline = await readAzurePipeline();
    assert.deepEqual(pipeline.pool, { vmImage: 'ubuntu-latest' });
    const tasks = pipeline.steps.filter((step) => step.task !== undefined);
    assert.deepEqual(tasks.map((step) => [step.task, step.inputs]), [['NodeTool@0', { versionSpec: '22.x' }]]);
  });

  it('runs on a v<version> tag and by hand, never for a branch push or a pull request', async () => {
    const pipeline = await readAzurePipeline();
    assert.deepEqual(pipeline.trigger, { branches: { exclude: ['*'] }, tags: { include: ['v*'] } });
    assert.equal(pipeline.pr, 'none');
  });

  it('takes the app directory and the CLI to install as parameters, and uses every template expression it declares', async () => {
    const pipeline = await readAzurePipeline();
    const declared = new Map((pipeline.parameters ?? []).map((parameter) => [parameter.name, parameter]));
    assert.equal(declared.get('appDirectory')?.type, 'string');
    assert.equal(declared.get('appDirectory')?.default, '.');
    assert.equal(declared.get('durableRouterCli')?.type, 'string');
    assert.match(String(declared.get('durableRouterCli')?.default), /^durable-router@\d+\.\d+\.\d+$/);
    const text = await readFile(azurePipelineFile, 'utf8');
    const used = new Set([...text.matchAll(/\$\{\{\s*parameters\.(\w+)\s*\}\}/g)].map((match) => match[1]));
    assert.deepEqual([...used].sort(), [...declared.keys()].sort());
    assert.deepEqual([...text.matchAll(/\$\{\{(.*?)\}\}/g)].filter((match) => !/^\s*parameters\.\w+\s*$/.test(match[1]!)), [], 'no other template expression');

    const scripts = pipeline.steps.filter((step) => step.script !== undefined);
    const inApp = '$(Build.SourcesDirectory)/${{ parameters.appDirectory }}';
    for (const command of ['npm ci', 'npm run build --if-present']) {
      const step = scripts.find((candidate) => candidate.script!.trim() === command);
      assert.equal(step?.workingDirectory, inApp, `${command} runs in the app directory`);
    }
    const install = scripts.find((step) => step.script!.includes('npm install --global'));
    assert.equal(install?.script!.trim(), 'npm install --global "$DURABLE_ROUTER_CLI"');
    assert.deepEqual(install?.env, { DURABLE_ROUTER_CLI: '${{ parameters.durableRouterCli }}' });
  });

  it('releases with --wait, the router URL and the secret admin key mapped through env', async () => {
    const steps = (await readAzurePipeline()).steps;
    const release = steps.filter((step) => /^durable-router release /m.test(step.script ?? ''));
    assert.equal(release.length, 1);
    assert.equal(release[0]!.script!.trim(), 'durable-router release "$RELEASE_VERSION" --package . --wait');
    assert.equal(release[0]!.workingDirectory, '$(Build.SourcesDirectory)/${{ parameters.appDirectory }}');
    assert.deepEqual(release[0]!.env, { ROUTER_URL: '$(ROUTER_URL)', ROUTER_ADMIN_KEY: '$(ROUTER_ADMIN_KEY)' });
    for (const step of steps) {
      // A macro in the script text would write the key into the script file the agent runs.
      assert.doesNotMatch(step.script ?? '', /\$\(ROUTER_ADMIN_KEY\)|\$\(ROUTER_URL\)|set -x/, 'secrets reach scripts only through env');
    }
  });
});
