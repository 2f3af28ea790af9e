/**
 * The local host with keys on (`--secrets-dir`), as platforms run apps: the durable HTTP API,
 * `/admin/*` and HTTP triggers refuse callers without the right key, the app's own durable client
 * keeps working, URLs handed out carry the durable extension's key, rotated keys apply while the
 * host runs, and no key reaches the host's log.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { durableClientPath } from '../../../../deployer/host/keys/durable-client-path.js';
import { readHostSecrets, writeHostSecrets, type HostSecrets } from '../../../../deployer/host/keys/host-secrets.js';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { fixtureApp, repositoryRoot, sampleAppDir } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus, type HostProcess } from './host-process.js';

interface CheckStatusResponse {
  readonly id: string;
  readonly statusQueryGetUri: string;
  readonly sendEventPostUri: string;
}

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

const azurite = await startAzuriteForTests();
const workDir = path.join(repositoryRoot, '.data', 'test', `host-keys-${randomUUID()}`);
after(() => rm(workDir, { recursive: true, force: true }));
const durableApi = '/runtime/webhooks/durabletask';

async function readKeys(secretsDir: string): Promise<HostSecrets> {
  const secrets = await readHostSecrets(secretsDir);
  assert.ok(secrets, `the host made no keys in ${secretsDir}`);
  return secrets;
}

const systemKeyOf = (secrets: HostSecrets): string => secrets.systemKeys['durabletask_extension'] as string;
const functionKeyOf = (secrets: HostSecrets): string => secrets.functionKeys['default'] as string;

async function call(url: string, options: { method?: string; key?: string; body?: unknown; host?: string } = {}): Promise<{ status: number; body: unknown }> {
  const response = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    headers: {
      ...(options.key === undefined ? {} : { 'x-functions-key': options.key }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.host === undefined ? {} : { host: options.host }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.body.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // plain text answers stay text
  }
  return { status: response.statusCode, body };
}

function assertRefused(answer: { status: number; body: unknown }, needs: RegExp): void {
  assert.equal(answer.status, 401, JSON.stringify(answer.body));
  const { error } = answer.body as ErrorBody;
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.match(error.message, needs);
  assert.match(error.message, /x-functions-key header or the code query parameter/);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every key and durable client path a host had: none of them may appear in its output. */
function assertNoKeyIn(output: string, keySets: readonly HostSecrets[]): void {
  for (const secrets of keySets) {
    const values = [secrets.masterKey, ...Object.values(secrets.functionKeys), ...Object.values(secrets.systemKeys), durableClientPath(secrets.masterKey).split('/').at(-1) as string];
    for (const value of values) assert.ok(!output.includes(value), 'a key (or the durable client token) reached the host\'s output');
  }
}

describe('the sample app in the local host with keys on', () => {
  const secretsDir = path.join(workDir, 'sample-secrets');
  const keySets: HostSecrets[] = [];
  let host: HostProcess;
  let url: string;
  let keys: HostSecrets;

  before(async () => {
    host = await startHostProcess({
      appDir: sampleAppDir,
      args: ['--secrets-dir', secretsDir],
      env: { ...baseEnvironment(), AzureWebJobsStorage: azurite.connectionString, TASKHUB_NAME: 'KeysSample', LOG_LEVEL: 'debug' },
    });
    url = host.listening.url;
    keys = await readKeys(secretsDir);
    keySets.push(keys);
  });
  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
  });

  it('refuses the durable API and /admin/* without a key, in the project\'s error shape', async () => {
    assertRefused(await call(`${url}${durableApi}/instances`), /"durabletask_extension" system key or its master key/);
    assertRefused(await call(`${url}${durableApi}/orchestrators/processOrder`, { method: 'POST', body: { customer: 'x', items: [] } }), /system key/);
    assertRefused(await call(`${url}${durableApi}/instances/anything/terminate`, { method: 'POST' }), /system key/);
    assertRefused(await call(`${url}/admin/functions`), /master key/);
    assertRefused(await call(`${url}/admin/host/status`), /master key/);
    assert.equal((await call(`${url}/admin/host/ping`)).status, 200, 'the ping stays anonymous, as on Azure');
    assert.equal((await call(`${url}/api/version`)).status, 200, 'anonymous functions stay open');
  });

  it('opens the durable API with its system key or the master key, in the header or as code; never with a function key', async () => {
    assertRefused(await call(`${url}${durableApi}/instances`, { key: functionKeyOf(keys) }), /system key/);
    assert.equal((await call(`${url}${durableApi}/instances`, { key: systemKeyOf(keys) })).status, 200);
    assert.equal((await call(`${url}${durableApi}/instances?code=${encodeURIComponent(systemKeyOf(keys))}`)).status, 200);
    assert.equal((await call(`${url}${durableApi}/instances`, { key: keys.masterKey })).status, 200);
    assertRefused(await call(`${url}/admin/functions`, { key: systemKeyOf(keys) }), /master key/);
    assert.equal((await call(`${url}/admin/functions`, { key: keys.masterKey })).status, 200);
  });

  it('runs orders through df.getClient; the URLs it returns carry the system key and work', async () => {
    const started = await call(`${url}/api/orders`, { method: 'POST', body: { orderId: 'keyed-small', customer: 'Ada', items: [{ sku: 'pen', quantity: 2, unitPrice: 3 }] } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const links = started.body as CheckStatusResponse;
    const statusUrl = new URL(links.statusQueryGetUri);
    assert.equal(statusUrl.origin, url);
    assert.equal(statusUrl.searchParams.get('code'), systemKeyOf(keys));
    assert.equal((await waitForTerminalStatus(links.statusQueryGetUri)).runtimeStatus, 'Completed');
    statusUrl.searchParams.delete('code');
    assertRefused(await call(statusUrl.href), /system key/);

    const large = (await call(`${url}/api/orders`, { method: 'POST', body: { orderId: 'keyed-large', customer: 'Grace', items: [{ sku: 'desk', quantity: 2, unitPrice: 600 }] } })).body as CheckStatusResponse;
    await waitUntil(async () => {
      const order = (await call(`${url}/api/orders/keyed-large`)).body as { customStatus?: { stage?: string } };
      return order.customStatus?.stage === 'awaitingApproval';
    }, 30_000, 'the large order did not wait for approval');
    const raised = await call(large.sendEventPostUri.replace('{eventName}', 'Approval'), { method: 'POST', body: { approved: true, by: 'Lin' } });
    assert.equal(raised.status, 202, JSON.stringify(raised.body));
    const status = await waitForTerminalStatus(large.statusQueryGetUri);
    assert.equal((status.output as { status: string }).status, 'Completed');
    await waitUntil(async () => ((await call(`${url}/api/counters/completed`)).body as { value: number }).value >= 2, 30_000, 'the entity did not count both orders');
  });

  it('serves the durable client path only to whoever has the token', async () => {
    assert.equal((await call(`${url}/_host/durabletask/not-the-token/instances/keyed-small`)).status, 404);
    assert.equal((await call(`${url}${durableClientPath(keys.masterKey)}/instances/keyed-small`)).status, 200);
  });

  it('applies rotated keys within about a second, without a restart; the old ones stop working', async () => {
    const rotated: HostSecrets = {
      masterKey: `rotated-master-${randomUUID()}`,
      functionKeys: { default: `rotated-function-${randomUUID()}` },
      systemKeys: { durabletask_extension: `rotated-durable-${randomUUID()}` },
    };
    keySets.push(rotated);
    await writeHostSecrets(secretsDir, rotated);
    await waitUntil(async () => (await call(`${url}${durableApi}/instances`, { key: systemKeyOf(rotated) })).status === 200, 5_000, 'the rotated system key was not taken up');
    assertRefused(await call(`${url}${durableApi}/instances`, { key: systemKeyOf(keys) }), /system key/);
    assertRefused(await call(`${url}/admin/functions`, { key: keys.masterKey }), /master key/);
    assert.equal((await call(`${url}/admin/functions`, { key: rotated.masterKey })).status, 200);

    // The app's own client now calls the path of the new master key, and hands out the new system key.
    const started = (await call(`${url}/api/orders`, { method: 'POST', body: { orderId: 'after-rotation', customer: 'Alan', items: [{ sku: 'pad', quantity: 1, unitPrice: 4 }] } })).body as CheckStatusResponse;
    assert.equal(new URL(started.statusQueryGetUri).searchParams.get('code'), systemKeyOf(rotated));
    assert.equal((await waitForTerminalStatus(started.statusQueryGetUri)).runtimeStatus, 'Completed');
    assert.equal((await call(`${url}${durableClientPath(keys.masterKey)}/instances/after-rotation`)).status, 404);
  });

  it('never writes a key to its log, even at debug level', async () => {
    assert.equal(await host.stop(), 0);
    assert.match(host.stderr(), /incoming request/, 'requests are logged at this level');
    assert.match(host.stderr(), /The host keys changed/);
    assertNoKeyIn(host.stderr(), keySets);
    assertNoKeyIn(host.events.map((event) => JSON.stringify(event)).join('\n'), keySets);
  });
});

describe('the HTTP fixture app with keys on and a public host name', () => {
  const secretsDir = path.join(workDir, 'http-secrets');
  const publicHost = '127.0.0.1:8443';
  let host: HostProcess;
  let url: string;
  let keys: HostSecrets;

  before(async () => {
    host = await startHostProcess({
      appDir: fixtureApp('http-app'),
      args: ['--secrets-dir', secretsDir],
      env: { ...baseEnvironment(), AzureWebJobsStorage: azurite.connectionString, WEBSITE_HOSTNAME: publicHost, LOG_LEVEL: 'debug' },
    });
    url = host.listening.url;
    keys = await readKeys(secretsDir);
  });
  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
  });

  it('opens a function-level route with a function key or the master key only', async () => {
    assertRefused(await call(`${url}/api/query`), /function keys/);
    assertRefused(await call(`${url}/api/query`, { key: systemKeyOf(keys) }), /function keys/);
    assert.equal((await call(`${url}/api/query`, { key: functionKeyOf(keys) })).status, 200);
    assert.equal((await call(`${url}/api/query?code=${encodeURIComponent(functionKeyOf(keys))}`)).status, 200);
    assert.equal((await call(`${url}/api/query`, { key: keys.masterKey })).status, 200);
    assertRefused(await call(`${url}/api/admin-only`, { key: functionKeyOf(keys) }), /master key/);
    assert.equal((await call(`${url}/api/admin-only`, { key: keys.masterKey })).status, 200);
    assert.equal((await call(`${url}/api/hello?name=Ada`)).body, 'Hello, Ada!');
  });

  it('keeps the WEBSITE_HOSTNAME it was given', async () => {
    assert.equal(((await call(`${url}/api/settings`)).body as { websiteHostname: string }).websiteHostname, publicHost);
  });

  it('hands out https URLs of its public host, while its own durable client calls it on loopback', async () => {
    const started = await call(`${url}/api/greetings`, { method: 'POST', body: ['Ada', 'Grace'], host: publicHost });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const statusUrl = new URL((started.body as CheckStatusResponse).statusQueryGetUri);
    assert.equal(statusUrl.origin, `https://${publicHost}`);
    assert.equal(statusUrl.searchParams.get('code'), systemKeyOf(keys));
    // Nothing serves the public host in this test: ask the host itself for the same path and query.
    const status = await waitForTerminalStatus(`${url}${statusUrl.pathname}${statusUrl.search}`);
    assert.deepEqual(status.output, ['Hello, Ada!', 'Hello, Grace!']);

    const direct = await call(`${url}${durableApi}/orchestrators/greetAll`, { method: 'POST', body: ['Lin'], key: systemKeyOf(keys) });
    assert.equal(direct.status, 202);
    assert.ok((direct.body as CheckStatusResponse).statusQueryGetUri.startsWith(`https://${publicHost}${durableApi}/instances/`));

    const listing = (await call(`${url}/admin/functions`, { key: keys.masterKey })).body as { name: string; invoke_url_template?: string }[];
    assert.equal(listing.find((fn) => fn.name === 'hello')?.invoke_url_template, `https://${publicHost}/api/hello`);
  });

  it('never writes a key to its log', async () => {
    assert.equal(await host.stop(), 0);
    assertNoKeyIn(host.stderr(), [keys]);
  });
});
