/**
 * The hosts a release's package URL may name (ROUTER_PACKAGE_HOSTS): exact host names, or
 * `*.example.com` for any one label in front of `example.com` (never deeper, never the bare
 * domain). An empty list allows no URL at all. Pure.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { RouterError } from '../../../shared/errors/router-error.js';

const labelPattern = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parses a comma-separated list into normalised entries (lower-case, IDNs in their ASCII form,
 * IPv6 without brackets), refusing what could not be meant as a host: a URL, a port, a path, a
 * wildcard anywhere but a leading `*.`, or one over a top-level domain alone.
 */
export function parsePackageHosts(text: string | undefined, settingName: string): readonly string[] {
  const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return Object.freeze(entries.map((entry) => parseEntry(entry, settingName)));
}

function parseEntry(entry: string, settingName: string): string {
  const refuse = (why: string): RouterError =>
    new RouterError('INVALID_CONFIGURATION', `${settingName} lists "${entry.slice(0, 80)}", which ${why}: list host names such as packages.example.com or *.blob.core.windows.net, separated by commas.`);
  const unbracketed = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (isIP(unbracketed) !== 0) return unbracketed.toLowerCase();
  if (/[/:@?#\s]/.test(entry)) throw refuse('is not a bare host name (no scheme, port or path)');
  const wildcard = entry.startsWith('*.');
  const domain = domainToASCII((wildcard ? entry.slice(2) : entry).replace(/\.$/, '')).toLowerCase();
  const labels = domain.split('.');
  if (domain === '' || !labels.every((label) => labelPattern.test(label))) throw refuse('is not a host name (a wildcard may only be a leading "*.")');
  if (wildcard && labels.length < 2) throw refuse('would allow every host under a top-level domain');
  return wildcard ? `*.${domain}` : domain;
}

/** Whether `hostname` (a URL's `hostname`: lower-case, ASCII, IPv6 in brackets) is one the list allows. */
export function packageHostAllowed(hosts: readonly string[], hostname: string): boolean {
  const host = (hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname).replace(/\.$/, '').toLowerCase();
  return hosts.some((entry) => {
    if (!entry.startsWith('*.')) return entry === host;
    const suffix = entry.slice(1);
    return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, -suffix.length).includes('.');
  });
}
