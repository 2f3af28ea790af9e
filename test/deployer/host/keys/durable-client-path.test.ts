import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durableClientPath, durableClientRoutePrefix, durableClientTokenMatches } from '../../../../deployer/host/keys/durable-client-path.js';
import { loggablePath, requestLogView } from '../../../../deployer/host/keys/request-log-view.js';

describe('the durable client path', () => {
  it('is the same for one master key, another for another, and outside the paths the front door forwards', () => {
    const path = durableClientPath('master-key-of-the-app-0001');
    assert.equal(durableClientPath('master-key-of-the-app-0001'), path);
    assert.notEqual(durableClientPath('master-key-of-the-app-0002'), path);
    assert.match(path, /^\/_host\/durabletask\/[A-Za-z0-9_-]{43}$/);
    assert.ok(!path.includes('master-key'));
    assert.ok(durableClientRoutePrefix.startsWith('/_host/'));
  });

  it('matches its own token only', () => {
    const token = durableClientPath('master-key-of-the-app-0001').split('/').at(-1);
    assert.ok(durableClientTokenMatches('master-key-of-the-app-0001', token));
    assert.ok(!durableClientTokenMatches('master-key-of-the-app-0002', token));
    assert.ok(!durableClientTokenMatches('master-key-of-the-app-0001', `${token}x`));
    assert.ok(!durableClientTokenMatches('master-key-of-the-app-0001', undefined));
  });
});

describe('the request log view', () => {
  it('shows the path without its query or the durable client token', () => {
    const path = durableClientPath('master-key-of-the-app-0001');
    assert.equal(loggablePath('/api/query?code=secret-key&a=1'), '/api/query');
    assert.equal(loggablePath(`${path}/instances/abc?taskHub=x`), '/_host/durabletask/[token]/instances/abc');
    assert.equal(loggablePath(path), '/_host/durabletask/[token]');
    assert.deepEqual(requestLogView({ method: 'GET', url: '/runtime/webhooks/durabletask/instances?code=k', ip: '127.0.0.1' }), {
      method: 'GET',
      url: '/runtime/webhooks/durabletask/instances',
      remoteAddress: '127.0.0.1',
    });
  });
});
