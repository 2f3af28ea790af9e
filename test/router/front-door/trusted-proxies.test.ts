import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrustedProxies, trustedProxiesFromSetting } from '../../../router/front-door/trusted-proxies.js';

describe('trusted proxies', () => {
  it('trusts the listed addresses and ranges, IPv4 peers of a dual-stack socket included, and nobody else', () => {
    const trusted = parseTrustedProxies(['10.0.0.0/8', '192.168.1.10', 'fd00::/8', '::1']);
    for (const address of ['10.1.2.3', '::ffff:10.1.2.3', '192.168.1.10', 'fd12::5', '::1']) assert.equal(trusted.trusts(address), true, address);
    for (const address of ['11.0.0.1', '192.168.1.11', '::ffff:192.168.1.11', 'fe80::1', '127.0.0.1', 'not-an-address', undefined]) {
      assert.equal(trusted.trusts(address), false, String(address));
    }
  });

  it('trusts nobody by default', () => {
    assert.equal(trustedProxiesFromSetting(undefined).trusts('127.0.0.1'), false);
    assert.equal(trustedProxiesFromSetting(' , ').trusts('10.0.0.1'), false);
  });

  it('refuses what is neither an address nor a CIDR range, naming the setting', () => {
    for (const bad of ['router.example.com', '10.0.0.0/33', '10.0.0.1/8/2', 'fd00::/129', '10.0.0.0/x']) {
      assert.throws(() => trustedProxiesFromSetting(bad), (error: Error) => error.message.startsWith(`ROUTER_TRUSTED_PROXIES lists "${bad}"`), bad);
    }
  });
});
