/**
 * `durable-router serve` as the image runs it: the Dockerfile's command and environment, plus the
 * environment Azure Container Apps gives a container (the settings the infrastructure sets, the
 * managed identity endpoint), against a real control plane and HTTPS Azurite that takes Microsoft
 * Entra tokens. The front door reads the router's storage with its identity, never a key.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, request } from 'undici';
import { startControlPlane, type RunningControlPlane } from '../../../router/control-plane/control-plane-process.js';
import { stageAppAsVersion } from '../../../router/embedded/staged-app.js';
import { devStorageConnectionString, startAzurite, type RunningAzurite } from '../../../shared/storage/azurite.js';
import { fixtureApp, repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startFakeManagedIdentity, type FakeManagedIdentity } from '../../fakes/managed-identity/fake-managed-identity.js';
import { processExists } from '../../fixtures/process-exists.js';
import { runCli } from '../cli/fixtures/cli-process.js';
import { waitUntil } from '../control-plane/fixtures/release-stack.js';
import { readTemplateSettings } from '../../infra/bicep/template-settings.js';
import { readRuntimeImage, type RuntimeImage } from './fixtures/dockerfile.js';

const tls = path.join(repositoryRoot, 'test', 'fixtures', 'tls');
const keys = {
  ROUTER_ADMIN_KEY: 'serve-tests-admin-key-0123456789',
  ROUTER_DURABLE_KEY: 'serve-tests-durable-key-0123456789',
  ROUTER_FUNCTION_KEY: 'serve-tests-function-key-0123456789',
  ROUTER_SECRETS_KEY: 'serve-tests-secrets-key-0123456789-0123456789',
  ROUTER_CONTROL_PLANE_KEY: 'serve-tests-control-plane-key-0123456789',
} as const;
const identityClientId = '4f7b1c2e-0d4a-4b8e-9a55-2c3d4e5f6a7b';

interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

describe('durable-router serve, as the container runs it', () => {
  const workDir = path.join(repositoryRoot, '.data', 'test', `serve-${randomUUID()}`);
  let image: RuntimeImage;
  let azurite: RunningAzurite;
  let identity: FakeManagedIdentity;
  let controlPlane: RunningControlPlane;
  let serve: ServeProcess;
  let templateSettings: string[];
  let given: Record<string, string>;

  before(async () => {
    image = await readRuntimeImage();
    azurite = await startAzurite({ inMemory: true, https: { cert: path.join(tls, 'site-cert.pem'), key: path.join(tls, 'site-key.pem'), oauth: true } });
    identity = await startFakeManagedIdentity({ clientId: identityClientId });
    controlPlane = await startControlPlane({
      storage: devStorageConnectionString(azurite.tableUrl),
      dataDir: path.join(workDir, 'control-plane'),
      platformRoot: path.join(workDir, 'platform'),
      key: keys.ROUTER_CONTROL_PLANE_KEY,
      secretsKey: keys.ROUTER_SECRETS_KEY,
      healthTimeoutMs: 20_000,
      healthIntervalMs: 200,
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Every setting infra/main.bicep gives the container, with this test's values: loopback instead
    // of 0.0.0.0:8080, HTTPS Azurite's Table endpoint instead of the account's, two workers.
    templateSettings = readTemplateSettings('main.bicep', await readFile(path.join(repositoryRoot, 'infra', 'main.bicep'), 'utf8')).frontDoor.map((setting) => setting.name);
    given = {
      ...keys,
      ROUTER_HOST: '127.0.0.1',
      ROUTER_PORT: String(port),
      ROUTER_WORKERS: '2',
      ROUTER_STORAGE__tableServiceUri: azurite.tableUrl,
      AZURE_CLIENT_ID: identityClientId,
      ROUTER_CONTROL_PLANE_URL: controlPlane.url,
      ROUTER_PUBLIC_URL: url,
    };
    // And what Azure Container Apps gives a container with a managed identity.
    serve = await startServe(image, { ...pick(given, templateSettings), ...identity.environment });
  });

  after(async () => {
    if (serve !== undefined && serve.child.exitCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    await controlPlane?.stop();
    await identity?.stop();
    await azurite?.stop();
    if (process.env['KEEP_TEST_DATA'] === undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('is what the Dockerfile builds: multi-stage, production dependencies only, not root, a /healthz check, `serve` on 0.0.0.0', () => {
    assert.ok(image.stages.length >= 2, 'a build stage and a runtime stage');
    assert.match(image.stages.at(-1)?.from ?? '', /^node:22/);
    assert.ok(image.runs.some((run) => /npm ci\b.*--omit=dev/.test(run)), 'npm ci --omit=dev in the runtime stage');
    assert.ok(image.user !== undefined && image.user !== 'root' && image.user !== '0', `runs as ${String(image.user)}`);
    assert.match(image.healthcheck ?? '', /\/healthz/);
    assert.deepEqual(image.command, ['node', 'dist/router/cli/main.js', 'serve']);
    assert.equal(image.environment['ROUTER_HOST'], '0.0.0.0');
  });

  it('runs with exactly the settings the infrastructure sets on the container', () => {
    assert.deepEqual(Object.keys(given).sort(), [...templateSettings].sort());
  });

  it('listens with two workers and names its storage without a secret', () => {
    assert.match(serve.output(), /front door listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers\)/);
    assert.match(serve.output(), new RegExp(`storage +${azurite.tableUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(with this process's Azure identity\\)`));
    for (const secret of Object.values(keys)) assert.ok(!serve.output().includes(secret), 'no key in its output');
  });

  it('takes a release from the CLI, forwards it to the control plane, and routes to the new version', async () => {
    const appDir = path.join(workDir, 'app-1.0.0');
    await stageAppAsVersion(fixtureApp('release-app'), appDir, '1.0.0');
    const released = await runCli(['release', '1.0.0', '--package', appDir, '--wait', '--url', serve.url, '--admin-key', keys.ROUTER_ADMIN_KEY], { timeoutMs: 120_000 });
    assert.equal(released.code, 0, released.stderr + released.stdout);
    // Each worker re-reads the map on its own (every 500 ms): wait until both have the new one.
    // Connections go to the workers in turn, so four answers in a row meet each of them twice.
    await waitUntil(async () => {
      for (let i = 0; i < 4; i++) if ((await get('/api/version')).status !== 200) return false;
      return true;
    }, 10_000, 'both workers loading the new version map');
    for (let i = 0; i < 10; i++) {
      const answer = await get('/api/version');
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers['x-routed-version'], '1.0.0');
    }
    const versions = await runCli(['versions', '--output', 'json', '--url', serve.url, '--admin-key', keys.ROUTER_ADMIN_KEY]);
    assert.equal(versions.code, 0, versions.stderr);
    assert.equal((JSON.parse(versions.stdout) as { current: string }).current, '1.0');
  });

  it('starts an orchestration with the router\'s durable key and points its status URL at ROUTER_PUBLIC_URL', async () => {
    const started = await request(`${serve.url}/api/waits/serve-${randomUUID()}`, { method: 'POST' });
    const body = await started.body.json() as { statusQueryGetUri: string };
    assert.equal(started.statusCode, 202);
    assert.ok(body.statusQueryGetUri.startsWith(`${serve.url}/runtime/webhooks/durabletask/instances/`), body.statusQueryGetUri);
    assert.ok(body.statusQueryGetUri.includes(`code=${keys.ROUTER_DURABLE_KEY}`), 'the router\'s durable key, never the app\'s');
    let last = '';
    await waitUntil(async () => {
      const status = await request(body.statusQueryGetUri);
      last = `${status.statusCode} ${await status.body.text()}`;
      // The durable API answers 202 while the instance runs.
      return status.statusCode === 202 && (JSON.parse(last.slice(4)) as { runtimeStatus?: string }).runtimeStatus === 'Running';
    }, 20_000, 'the orchestration running').catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; its status answered ${last}`);
    });
  });

  it('reached the storage with its managed identity: tokens for Azure Storage, for the identity AZURE_CLIENT_ID names', () => {
    const granted = identity.requests.filter((entry) => entry.status === 200);
    assert.ok(granted.length >= 2, `a token per worker at least; the endpoint saw ${JSON.stringify(identity.requests)}`);
    for (const entry of identity.requests) {
      assert.equal(entry.resource, 'https://storage.azure.com');
      assert.equal(entry.clientId, identityClientId);
    }
  });

  it('replaces a worker that dies, and keeps routing meanwhile', async () => {
    const workers = await childrenOf(serve.child.pid as number);
    assert.equal(workers.length, 2, `two workers: ${workers.join(', ')}`);
    const [victim] = workers;
    process.kill(victim as number, 'SIGKILL');
    // A connection the primary hands to a worker in the instant it dies is lost with it (node:cluster), as with any process.
    await waitUntil(() => new RegExp(`"worker":${String(victim)},.*a front door worker died`).test(serve.output()), 10_000, 'the primary seeing the worker die');
    assert.equal((await get('/api/version')).status, 200, 'the other worker answers');
    let replacement: number | undefined;
    await waitUntil(async () => {
      const now = await childrenOf(serve.child.pid as number);
      replacement = now.find((pid) => !workers.includes(pid));
      return now.length === 2 && replacement !== undefined;
    }, 20_000, 'a new worker replacing the dead one');
    await waitUntil(() => new RegExp(`"pid":${String(replacement)},.*Server listening`).test(serve.output()), 20_000, 'the new worker listening');
    await waitUntil(async () => (await get('/readyz')).status === 200, 10_000, 'ready again');
  });

  it('stops on SIGTERM, as Container Apps stops a replica: every worker finishes and the process exits 0', async () => {
    const workers = await childrenOf(serve.child.pid as number);
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.output());
    for (const worker of workers) assert.equal(processExists(worker), false, `worker ${worker} is gone`);
  });

  /** On a connection of its own: the primary hands each new connection to the next worker, and one held by a killed worker is reset. */
  async function get(pathAndQuery: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const client = new Client(serve.url, { headersTimeout: 15_000, bodyTimeout: 15_000 });
    try {
      const answer = await client.request({ method: 'GET', path: pathAndQuery });
      return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() };
    } finally {
      await client.close();
    }
  }
});

/** The image's command run from the repository (the image's /app holds the same dist/ and node_modules), with only the environment given. */
async function startServe(image: RuntimeImage, environment: Record<string, string>): Promise<ServeProcess> {
  const [program, ...args] = image.command;
  assert.equal(program, 'node');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    ...(process.env['NODE_EXTRA_CA_CERTS'] === undefined ? {} : { NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'] }),
    ...image.environment,
    ...environment,
  };
  const child = spawn(process.execPath, args, { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntil(() => /front door listening on/.test(output) || child.exitCode !== null, 30_000, 'serve listening');
  const url = /front door listening on (http:\/\/[0-9.:]+)/.exec(output)?.[1];
  if (url === undefined) throw new Error(`serve did not start:\n${output}`);
  return { child, url, output: () => output, exited };
}

function pick(values: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => values[name] !== undefined).map((name) => [name, values[name] as string]));
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.trim().split(/\s+/).filter((entry) => entry !== '').map(Number);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
