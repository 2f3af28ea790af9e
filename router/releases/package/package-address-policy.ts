/**
 * Which network addresses a package download may connect to: public ones only. Loopback,
 * link-local, private, shared (CGNAT), unspecified, multicast, reserved and cloud metadata
 * addresses would let a release's URL reach the router's own machine, its network or its cloud
 * credentials. IPv4-mapped IPv6 addresses count as the IPv4 address they carry. Pure.
 */
import { BlockList, isIP } from 'node:net';

export type ForbiddenAddressKind = 'a cloud metadata' | 'a loopback' | 'a link-local' | 'a private' | 'a shared (CGNAT)' | 'an unspecified' | 'a multicast' | 'a reserved';

type Range = readonly [address: string, prefix: number];

// Metadata first: 169.254.169.254 is also link-local, and the more telling name wins.
const ranges: ReadonlyArray<readonly [ForbiddenAddressKind, readonly Range[], readonly Range[]]> = [
  ['a cloud metadata', [['169.254.169.254', 32], ['168.63.129.16', 32], ['100.100.100.200', 32]], [['fd00:ec2::254', 128]]],
  ['a loopback', [['127.0.0.0', 8]], [['::1', 128]]],
  ['a link-local', [['169.254.0.0', 16]], [['fe80::', 10]]],
  ['a private', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]], [['fc00::', 7], ['fec0::', 10], ['64:ff9b:1::', 48]]],
  ['a shared (CGNAT)', [['100.64.0.0', 10]], []],
  ['an unspecified', [['0.0.0.0', 8]], [['::', 128]]],
  ['a multicast', [['224.0.0.0', 4]], [['ff00::', 8]]],
  [
    'a reserved',
    [['192.0.0.0', 24], ['192.0.2.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['240.0.0.0', 4]],
    [['::', 96], ['100::', 64], ['2001:db8::', 32]],
  ],
];

const blockLists: ReadonlyArray<readonly [ForbiddenAddressKind, BlockList]> = ranges.map(([kind, ipv4, ipv6]) => {
  const list = new BlockList();
  for (const [address, prefix] of ipv4) list.addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix] of ipv6) list.addSubnet(address, prefix, 'ipv6');
  return [kind, list] as const;
});

/** What makes `address` (an IP address, IPv6 with or without brackets) forbidden, or undefined for a public address. */
export function forbiddenAddressKind(address: string): ForbiddenAddressKind | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const version = isIP(bare);
  // Not an address at all: refuse rather than guess.
  if (version === 0) return 'a reserved';
  const type = version === 4 ? 'ipv4' : 'ipv6';
  return blockLists.find(([, list]) => list.check(bare, type))?.[0];
}

/**
 * Which addresses a download may use: public ones, and — only through the test setting
 * ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS, for the hosts it names — loopback ones, so that tests can
 * serve packages from this machine. Nothing else is ever let through.
 */
export interface PackageAddressPolicy {
  /** Hosts (as in the URL, lower-case) whose loopback addresses are accepted. Empty in production. */
  readonly loopbackHosts: readonly string[];
}

/** Why `host` may not be reached at `address`, or undefined when it may. */
export function refusedAddress(policy: PackageAddressPolicy, host: string, address: string): ForbiddenAddressKind | undefined {
  const kind = forbiddenAddressKind(address);
  if (kind === 'a loopback' && policy.loopbackHosts.includes(host.toLowerCase())) return undefined;
  return kind;
}
