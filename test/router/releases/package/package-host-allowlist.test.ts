import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { forbiddenAddressKind, refusedAddress } from '../../../../router/releases/package/package-address-policy.js';
import { packageHostAllowed, parsePackageHosts } from '../../../../router/releases/package/package-host-allowlist.js';

describe('parsePackageHosts', () => {
  it('normalises host names, one-label wildcards and IP addresses; nothing set is an empty list', () => {
    assert.deepEqual(parsePackageHosts(' Packages.Example.com., *.blob.core.windows.net ,[::1], 127.0.0.1,,', 'ROUTER_PACKAGE_HOSTS'), [
      'packages.example.com', '*.blob.core.windows.net', '::1', '127.0.0.1',
    ]);
    assert.deepEqual(parsePackageHosts(undefined, 'ROUTER_PACKAGE_HOSTS'), []);
    assert.deepEqual(parsePackageHosts('bücher.example', 'ROUTER_PACKAGE_HOSTS'), ['xn--bcher-kva.example']);
  });

  it('refuses what is not a bare host name, naming the setting and the entry', () => {
    for (const [entry, why] of [
      ['https://packages.example.com', /not a bare host name/], ['example.com:443', /not a bare host name/], ['example.com/path', /not a bare host name/],
      ['*', /not a host name/], ['a.*.example.com', /not a host name/], ['**.example.com', /not a host name/], ['-bad.example.com', /not a host name/],
      ['*.com', /every host under a top-level domain/],
    ] as const) {
      assert.throws(() => parsePackageHosts(`ok.example.com,${entry}`, 'ROUTER_PACKAGE_HOSTS'), (error: unknown) =>
        isRouterError(error, 'INVALID_CONFIGURATION') && error.message.startsWith(`ROUTER_PACKAGE_HOSTS lists "${entry}", which`) && why.test(error.message), entry);
    }
  });
});

describe('packageHostAllowed', () => {
  const hosts = parsePackageHosts('packages.example.com,*.blob.core.windows.net,::1', 'ROUTER_PACKAGE_HOSTS');

  it('allows listed hosts exactly, and one label under a wildcard', () => {
    for (const host of ['packages.example.com', 'PACKAGES.example.com.', 'acct.blob.core.windows.net', '[::1]']) assert.ok(packageHostAllowed(hosts, host), host);
    for (const host of ['example.com', 'x.packages.example.com', 'packages.example.com.evil.net', 'blob.core.windows.net', 'a.b.blob.core.windows.net', 'acctblob.core.windows.net', '127.0.0.1']) {
      assert.ok(!packageHostAllowed(hosts, host), host);
    }
    assert.ok(!packageHostAllowed([], 'packages.example.com'));
  });
});

describe('package address policy', () => {
  it('names what makes an address forbidden, IPv4-mapped IPv6 included, and lets public ones through', () => {
    const expected: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'a loopback'], ['127.255.0.9', 'a loopback'], ['::1', 'a loopback'], ['::ffff:127.0.0.1', 'a loopback'],
      ['169.254.169.254', 'a cloud metadata'], ['::ffff:a9fe:a9fe', 'a cloud metadata'], ['fd00:ec2::254', 'a cloud metadata'], ['168.63.129.16', 'a cloud metadata'],
      ['169.254.1.1', 'a link-local'], ['fe80::1', 'a link-local'],
      ['10.0.0.1', 'a private'], ['172.16.0.1', 'a private'], ['172.31.255.255', 'a private'], ['192.168.0.1', 'a private'], ['fc00::1', 'a private'], ['fd12::1', 'a private'],
      ['100.64.0.1', 'a shared (CGNAT)'], ['100.127.255.255', 'a shared (CGNAT)'],
      ['0.0.0.0', 'an unspecified'], ['::', 'an unspecified'], ['224.0.0.1', 'a multicast'], ['ff02::1', 'a multicast'], ['255.255.255.255', 'a reserved'],
      ['8.8.8.8', undefined], ['172.32.0.1', undefined], ['100.128.0.1', undefined], ['20.38.1.1', undefined], ['2606:4700::1', undefined], ['::ffff:8.8.8.8', undefined],
    ];
    for (const [address, kind] of expected) assert.equal(forbiddenAddressKind(address), kind, address);
    assert.equal(forbiddenAddressKind('not-an-address'), 'a reserved');
  });

  it('lets loopback through only for the hosts the test setting names, and nothing else for them', () => {
    const policy = { loopbackHosts: ['localhost'] };
    assert.equal(refusedAddress(policy, 'localhost', '127.0.0.1'), undefined);
    assert.equal(refusedAddress(policy, 'LOCALHOST', '::1'), undefined);
    assert.equal(refusedAddress(policy, 'localhost', '10.0.0.1'), 'a private');
    assert.equal(refusedAddress(policy, 'localhost', '169.254.169.254'), 'a cloud metadata');
    assert.equal(refusedAddress(policy, 'other.test', '127.0.0.1'), 'a loopback');
    assert.equal(refusedAddress({ loopbackHosts: [] }, 'localhost', '127.0.0.1'), 'a loopback');
  });
});
