/**
 * Requests to an app that accepts and never answers: their time counts from arrival (waiting for a
 * connection included), the queue per app is bounded, and a client that leaves frees its place.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
import type { FrontDoorOptions } from '../../../router/front-door/front-door-options.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { FakeFunctionApp } from './fixtures/fake-function-app.js';
import { http, type HttpResult } from './fixtures/http-client.js';
import { versionEntry } from './fixtures/version-maps.js';

const adminKey = 'upstream-limits-admin-key';

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

function errorOf(result: HttpResult): { code: string; message: string; details?: Record<string, unknown> } {
  return result.json<{ error: { code: string; message: string; details?: Record<string, unknown> } }>().error;
}

describe('front door in front of a hung app', () => {
  let app: FakeFunctionApp;
  const paths: string[] = [];
  const routers: FastifyInstance[] = [];
  /** What reached the app since the list was emptied, without the first test's requests (one aborted as it was written may arrive late). */
  const laterPaths = (): string[] => paths.filter((path) => !path.startsWith('/api/hang?n='));

  async function frontDoor(options: Partial<FrontDoorOptions>): Promise<string> {
    const router = buildFrontDoor({
      store: new MemoryVersionMapStore({ current: '1.0', versions: [versionEntry('1.0', 'active', ['1.0.0'], app.url)] }),
      adminKey, routerKeys: testRouterKeys, logger: false, ...options,
    });
    routers.push(router);
    await router.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;
  }

  before(async () => {
    app = await FakeFunctionApp.start({ name: 'app-1-0', taskHub: 'Hub1x0', onRequest: (path) => paths.push(path) });
  });

  after(async () => {
    for (const router of routers) await router.close();
    await app.close();
  });

  it('counts a request\'s time from its arrival, waiting for a connection included, and says so', async () => {
    const base = await frontDoor({ connectionsPerApp: 2, maxQueuedPerApp: 10, upstreamTimeoutMs: 1_000 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => http(`${base}/api/hang?n=${i}`)));
    for (const result of results) {
      assert.equal(result.status, 504);
      assert.equal(errorOf(result).code, 'UPSTREAM_TIMEOUT');
      assert.match(errorOf(result).message, /within 1 s of (?:its|the request's) arrival/);
    }
    await until(() => app.hanging === 0, 'the app\'s hung requests were aborted');
  });

  it('answers a request that waited for a connection its whole time 504 without ever sending it', async () => {
    const base = await frontDoor({ connectionsPerApp: 1, maxQueuedPerApp: 10, upstreamTimeoutMs: 1_000 });
    paths.length = 0;
    // Its headers come at once, then its body stalls: it holds the app's one connection.
    const streaming = await openAndKeep(`${base}/api/stall-body`);
    await until(() => streaming.settled(), 'the stalled body\'s headers arrived');
    const waiting = await http(`${base}/api/echo?who=waiting`);
    assert.equal(waiting.status, 504);
    assert.deepEqual(errorOf(waiting), {
      code: 'UPSTREAM_TIMEOUT',
      message: 'The app of version 1.0 did not take the request within 1 s of its arrival: all 1 connections to it stayed busy, so it was not sent (the app may be hung or overloaded).',
      details: { routeKey: '1.0', sent: false },
    });
    assert.deepEqual(laterPaths(), ['/api/stall-body']);
    streaming.leave();
  });

  it('answers 503 UPSTREAM_SATURATED at once when the app\'s queue is full, and a client that leaves frees its place', async () => {
    const base = await frontDoor({ connectionsPerApp: 1, maxQueuedPerApp: 1, upstreamTimeoutMs: 600_000 });
    paths.length = 0;
    const sent = await openAndKeep(`${base}/api/hang?who=sent`);
    await until(() => app.hanging === 1, 'the first request reached the app');
    const queued = await openAndKeep(`${base}/api/hang?who=queued`);
    await sleep(50);
    const refused = await http(`${base}/api/echo?who=refused`);
    assert.equal(refused.status, 503);
    assert.equal(errorOf(refused).code, 'UPSTREAM_SATURATED');
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(errorOf(refused).message, /has 1 requests in flight and 1 more waiting/);
    assert.equal(sent.settled(), false);
    assert.equal(queued.settled(), false);

    // The waiting client leaves: it is never sent. The sent one leaves: its connection is freed at once.
    queued.leave();
    await sleep(50);
    sent.leave();
    await until(() => app.hanging === 0, 'the app saw the request aborted');
    const next = await http(`${base}/api/echo?who=next`);
    assert.equal(next.status, 200);
    assert.deepEqual(laterPaths(), ['/api/hang?who=sent', '/api/echo?who=next']);
  });
});

/** A request whose client can leave before the answer: leaving closes its connection. */
async function openAndKeep(url: string): Promise<{ settled(): boolean; leave(): void }> {
  let settled = false;
  const req = request(url, { agent: false }, () => {
    settled = true;
  });
  req.on('error', () => {
    settled = true;
  });
  req.end();
  await once(req, 'socket');
  return {
    settled: () => settled,
    leave: () => {
      settled = true;
      req.destroy();
    },
  };
}
