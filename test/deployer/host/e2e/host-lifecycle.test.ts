import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fixtureApp } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess } from './host-process.js';

describe('local host process lifecycle', () => {
  it('with --exit-with-stdin, stops cleanly when its parent closes its stdin', async () => {
    const host = await startHostProcess({
      appDir: fixtureApp('http-app'),
      args: ['--in-memory-storage', '--exit-with-stdin'],
      env: { ...baseEnvironment(), LOG_LEVEL: 'warn' },
    });
    try {
      assert.equal((await fetch(`${host.listening.url}/api/hello?name=x`)).status, 200);
      const closed = once(host.child, 'close');
      host.child.stdin?.end();
      const [code] = (await closed) as [number | null];
      assert.equal(code, 0);
      assert.deepEqual(host.events.at(-1), { event: 'stopped', reason: 'stdin closed' });
    } finally {
      if (host.child.exitCode === null) await host.kill();
    }
  });

  it('runs an ES module app with an empty route prefix, Running as soon as it says it listens', async () => {
    const host = await startHostProcess({ appDir: fixtureApp('esm-app'), args: ['--in-memory-storage'], env: { ...baseEnvironment(), LOG_LEVEL: 'warn' } });
    try {
      const status = await fetch(`${host.listening.url}/admin/host/status`);
      assert.equal(status.status, 200);
      const body = (await status.json()) as { state: string; app: unknown };
      assert.equal(body.state, 'Running');
      assert.deepEqual(body.app, { name: 'esm-fixture-app', version: '0.9.0' });
      assert.deepEqual(await (await fetch(`${host.listening.url}/who/ada`)).json(), { module: 'esm', name: 'ada' });
      assert.deepEqual(await (await fetch(`${host.listening.url}/who`)).json(), { module: 'esm', name: null });
      assert.equal(host.listening.taskHubName, 'TestHubName', 'the default task hub, as the extension names it locally');
    } finally {
      assert.equal(await host.stop(), 0);
    }
  });
});
