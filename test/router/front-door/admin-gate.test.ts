/**
 * The admin gate on a real front door: the key, the limit on failed attempts per client (behind a
 * trusted proxy, per forwarded client), and the audit log (refusals and changes, never a key).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';
import { http } from './fixtures/http-client.js';
import { capturingLogger } from './fixtures/log-capture.js';

const adminKey = 'admin-gate-tests-admin-key';
const wrongKey = 'admin-gate-tests-wrong-key';
const emptyMap = { current: null, versions: [] };

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

describe('the admin gate', () => {
  const log = capturingLogger('info');
  let router: FastifyInstance;
  let base: string;

  before(async () => {
    // The test client is its own trusted proxy, so each test names its client in X-Forwarded-For.
    router = buildFrontDoor({
      store: new MemoryVersionMapStore(emptyMap), adminKey, routerKeys: testRouterKeys, trustedProxies: ['127.0.0.1', '::1'], logger: log.logger,
      controlPlane: { url: 'http://127.0.0.1:9', key: 'admin-gate-tests-control-plane-key' },
    });
    base = await listen(router);
  });

  after(async () => {
    await router?.close();
  });

  const as = (client: string, key: string | undefined): string[] => [
    'x-forwarded-for', client, ...(key === undefined ? [] : ['authorization', `Bearer ${key}`]),
  ];

  it('refuses a client after ten failed attempts in a minute, even with the right key, while others go on', async () => {
    for (let i = 0; i < 10; i++) {
      const refused = await http(`${base}/admin/versions`, { headers: as('203.0.113.10', i % 2 === 0 ? wrongKey : undefined) });
      assert.equal(refused.status, 401, `attempt ${i + 1}`);
    }
    for (const path of ['/admin/versions', '/admin/instances', '/admin/releases/x']) {
      const limited = await http(`${base}${path}`, { headers: as('203.0.113.10', adminKey) });
      assert.equal(limited.status, 429, path);
      assert.equal(limited.json<{ error: { code: string } }>().error.code, 'TOO_MANY_FAILED_AUTHENTICATIONS');
      assert.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60);
    }
    assert.equal((await http(`${base}/admin/versions`, { headers: as('203.0.113.11', adminKey) })).status, 200, 'another client is not affected');
    const spoofed = await http(`${base}/admin/versions`, { headers: ['x-forwarded-for', '198.51.100.1, 203.0.113.10', 'authorization', `Bearer ${adminKey}`] });
    assert.equal(spoofed.status, 429, 'a client cannot escape by prepending an address of its choosing');
  });

  it('writes one audit line per refusal and per change, naming the client, the action and the result, never a key', async () => {
    const from = log.lines.length;
    const change = await http(`${base}/admin/versions/1.0/current`, { method: 'POST', headers: as('203.0.113.20', adminKey) });
    assert.equal(change.status, 503, 'the control plane is not there');
    await http(`${base}/admin/versions/1.0/drain`, { method: 'POST', headers: as('203.0.113.21', wrongKey) });
    await http(`${base}/admin/versions`, { headers: as('203.0.113.22', adminKey) });
    const audit = log.lines.slice(from).filter((line) => line['audit'] === true);
    assert.deepEqual(audit.map((line) => [line['client'], line['action'], line['status'], line['outcome']]), [
      ['203.0.113.20', 'POST /admin/versions/:routeKey/current', 503, 'failed'],
      ['203.0.113.21', 'POST /admin/versions/1.0/drain', 401, 'wrong-key'],
    ], 'reads are not audited; changes and refusals are');
    assert.equal(audit[0]?.['routeKey'], '1.0');
    assert.equal(audit[0]?.['code'], 'CONTROL_PLANE_UNAVAILABLE');
    assert.ok(!log.text().includes(adminKey) && !log.text().includes(wrongKey), 'no key in the log');
  });
});
