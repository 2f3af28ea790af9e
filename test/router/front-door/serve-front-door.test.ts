import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { serveFrontDoor } from '../../../router/front-door/serve-front-door.js';
import { failureOf, http } from './fixtures/http-client.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';

const processEntry = fileURLToPath(new URL('./fixtures/front-door-process.js', import.meta.url));

describe('serveFrontDoor', () => {
  it('listens, reports its URL and closes', async () => {
    const running = await serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey: 'serve-test-admin-key', routerKeys: testRouterKeys, logger: false, handleSignals: false });
    assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await http(`${running.url}/healthz`)).status, 200);
    assert.equal((await http(`${running.url}/readyz`)).status, 200, 'an empty map is a loaded map');
    await running.close();
    await running.closed;
    assert.notEqual(await failureOf(http(`${running.url}/healthz`)), 'no failure');
  });

  it('refuses invalid options before listening', async () => {
    await assert.rejects(serveFrontDoor({ port: 0, store: new MemoryVersionMapStore(), adminKey: 'short', routerKeys: testRouterKeys }), /at least 16 characters/);
  });

  it('finishes requests in flight on SIGTERM, then the process exits', async () => {
    const child = spawn(process.execPath, [processEntry], { stdio: ['ignore', 'pipe', 'inherit'] });
    after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const { url } = JSON.parse((await lines.next()).value as string) as { url: string };
    const inFlight = http(`${url}/api/slow?ms=500`);
    assert.equal((await lines.next()).value, 'request', 'the request reached the app before the signal');
    child.kill('SIGTERM');
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.equal(answer.json().slow, true);
    assert.equal((await lines.next()).value, 'closed');
    const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null, 'the process ended by itself, not by the signal');
    assert.equal(code, 0);
  });
});
