/**
 * Which peers may tell the router what the client saw (`X-Forwarded-Host`, `-Proto`, `-For`):
 * only proxies the operator names (ROUTER_TRUSTED_PROXIES). From anyone else those headers are a
 * client's claim, and a client that could set them would point the URLs the router hands out
 * (Location, statusQueryGetUri) at a host of its choosing.
 */
import { BlockList, isIP } from 'node:net';
import { RouterError } from '../../shared/errors/router-error.js';

export interface TrustedProxies {
  /** Whether the peer at this address is a trusted proxy. */
  trusts(address: string | undefined): boolean;
}

export const noTrustedProxies: TrustedProxies = Object.freeze({ trusts: () => false });

/** Addresses ("10.0.0.4", "::1") and CIDR ranges ("10.0.0.0/8", "fd00::/8"). */
export function parseTrustedProxies(entries: readonly string[], settingName = 'ROUTER_TRUSTED_PROXIES'): TrustedProxies {
  if (entries.length === 0) return noTrustedProxies;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(prefix ?? '') && bits <= maxBits))) {
      throw new RouterError('INVALID_CONFIGURATION', `${settingName} lists "${entry.slice(0, 60)}", which is neither an IP address nor a CIDR range (e.g. 10.0.0.4, 10.0.0.0/8, fd00::/8).`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return Object.freeze({
    trusts(address: string | undefined): boolean {
      if (address === undefined) return false;
      // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
      const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
      const plain = mapped ?? address;
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  });
}

/** A comma-separated setting, e.g. "10.0.0.0/8, 192.168.1.10". */
export function trustedProxiesFromSetting(value: string | undefined, settingName = 'ROUTER_TRUSTED_PROXIES'): TrustedProxies {
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return parseTrustedProxies(entries, settingName);
}

/**
 * The client's address: the peer's, or when the peer is a trusted proxy the nearest address in
 * X-Forwarded-For that is not one (entries left of it are the client's own claims).
 */
export function clientAddressOf(peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies): string | undefined {
  if (!trusted.trusts(peer) || forwardedFor === undefined) return peer;
  const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted.trusts(hop)) return isIP(hop) === 0 ? peer : hop;
  }
  return hops[0] ?? peer;
}
