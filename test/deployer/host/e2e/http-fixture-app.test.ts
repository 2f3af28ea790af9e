import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApp } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus, type HostProcess } from './host-process.js';

/**
 * `run-local-host <appDir>` with no storage configured: the host starts its embedded Azurite
 * (persisted under --data-dir) and serves the unmodified HTTP fixture app over a real socket.
 */
describe('the local host process with the HTTP fixture app', () => {
  let host: HostProcess;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'host-e2e-data-'));
    host = await startHostProcess({
      appDir: fixtureApp('http-app'),
      args: ['--data-dir', dataDir],
      env: { ...baseEnvironment(), FIXTURE_OVERRIDDEN: 'from the environment', LOG_LEVEL: 'warn' },
    });
  });

  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('announces its origin, its functions and the bindings it cannot serve', () => {
    const { listening } = host;
    assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(listening.url, `http://127.0.0.1:${listening.port}`);
    assert.deepEqual(listening.app, { name: 'http-fixture-app', version: '2.3.4' });
    assert.equal(listening.taskHubName, 'HttpFixtureHub', 'hubName "%FIXTURE_HUB%" resolved from local.settings.json');
    assert.ok(listening.functions.some((fn) => fn.name === 'greetAll' && fn.trigger === 'orchestrationTrigger'));
    assert.deepEqual(listening.unsupported, [
      { function: 'queueWorker', bindingType: 'serviceBusTrigger' },
      { function: 'writesBlob', bindingType: 'blob' },
    ]);
    assert.match(host.stderr(), /queueWorker.*serviceBusTrigger/, 'the start-up log names the function and binding type');
  });

  it('gives the app its settings (environment first) and its own address as WEBSITE_HOSTNAME', async () => {
    const settings = (await (await fetch(`${host.listening.url}/api/settings`)).json()) as Record<string, unknown>;
    assert.deepEqual(settings, {
      greeting: 'Hello',
      overridden: 'from the environment',
      websiteHostname: `127.0.0.1:${host.listening.port}`,
      hasStorage: true,
    });
  });

  it('serves HTTP triggers over a real socket', async () => {
    const { url } = host.listening;
    assert.equal(await (await fetch(`${url}/api/hello?name=Ada`)).text(), 'Hello, Ada!');
    assert.deepEqual(await (await fetch(`${url}/api/items/7/x/y`)).json(), { id: '7', rest: 'x/y', matched: 'item' });
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    const echoed = await fetch(`${url}/api/echo`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/x-custom' } });
    assert.equal(echoed.status, 201);
    assert.equal(echoed.headers.get('content-type'), 'application/x-custom');
    assert.deepEqual(Buffer.from(await echoed.arrayBuffer()), bytes);
    const keyed = await fetch(`${url}/api/query?code=abc`, { headers: { 'x-functions-key': 'def' } });
    assert.equal(keyed.status, 200);
    assert.equal(((await keyed.json()) as { code: string }).code, 'abc');
    assert.equal((await fetch(`${url}/api/writesBlob`)).status, 404);
  });

  it('answers the admin endpoints', async () => {
    const status = (await (await fetch(`${host.listening.url}/admin/host/status`)).json()) as Record<string, unknown>;
    assert.equal(status['state'], 'Running');
    const functions = (await (await fetch(`${host.listening.url}/admin/functions`)).json()) as { name: string }[];
    assert.ok(functions.some((fn) => fn.name === 'startGreeting'));
  });

  it('runs an orchestration started by an HTTP trigger through df.getClient', async () => {
    const response = await fetch(`${host.listening.url}/api/greetings`, {
      method: 'POST',
      body: JSON.stringify(['Ada', 'Grace']),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 202);
    const management = (await response.json()) as { id: string; statusQueryGetUri: string };
    assert.ok(management.statusQueryGetUri.startsWith(`${host.listening.url}/runtime/webhooks/durabletask/instances/${management.id}`));
    const status = await waitForTerminalStatus(management.statusQueryGetUri);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, ['Hello, Ada!', 'Hello, Grace!']);
  });

  it('kept its state in the embedded Azurite under --data-dir', async () => {
    assert.ok((await readdir(dataDir)).length > 0);
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await host.stop(), 0);
    assert.deepEqual(host.events.at(-1), { event: 'stopped', reason: 'SIGTERM' });
  });
});
