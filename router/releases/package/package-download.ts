import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { compressedTooLarge, type PackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { writeStreamCapped } from './capped-file-write.js';
import { refusedAddress, type PackageAddressPolicy } from './package-address-policy.js';
import { packageHostAllowed } from './package-host-allowlist.js';
import { redactUrl } from './package-reference.js';

export interface DownloadOptions {
  readonly limits: PackageLimits;
  /** The whole download, redirects included. */
  readonly timeoutMs: number;
  /** PEM certificates trusted besides the system's (a private CA). */
  readonly trustedCertificates?: readonly string[];
  /** The hosts a URL (and every redirect) may name (ROUTER_PACKAGE_HOSTS, parsed); empty: none. */
  readonly hosts: readonly string[];
  readonly addressPolicy: PackageAddressPolicy;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const maxRedirects = 5;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const fileSystemCalls = new Set(['open', 'write', 'close', 'fsync']);

/**
 * Downloads a package zip over https into `file`, following up to 5 redirects (each one https
 * too), within the size limit (the declared length is checked first, the bytes while they
 * stream) and the time limit. The URL and every redirect must name a listed host, and every
 * address it connects to is checked after DNS resolution, by the lookup of the connection itself
 * (so the address checked is the address used): a host that resolves to a loopback, private,
 * link-local or metadata address is refused (PACKAGE_URL_NOT_ALLOWED). Failures are otherwise
 * PACKAGE_DOWNLOAD_FAILED or PACKAGE_TOO_LARGE, with messages that say what to check but never
 * the network's own error text (which would tell a caller what answers where) nor the URL's
 * query, which may hold a SAS token.
 */
export async function downloadPackage(url: URL, file: string, options: DownloadOptions): Promise<number> {
  checkHop(url, options);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const refusals: RouterError[] = [];
  const dispatcher: Dispatcher = new Agent({
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: {
      lookup: checkedLookup(options.addressPolicy, refusals),
      ...(options.trustedCertificates?.length ? { ca: [...options.trustedCertificates] } : {}),
    },
  });
  let current = url;
  try {
    for (let redirects = 0; ; redirects++) {
      const response = await request(current, { method: 'GET', dispatcher, signal, headers: { accept: 'application/zip, application/octet-stream, */*' } });
      if (redirectStatuses.has(response.statusCode)) {
        await response.body.dump();
        const next = nextLocation(current, response.headers['location'], redirects);
        checkHop(next, options, current);
        current = next;
        continue;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw failed(current, `the server answered ${response.statusCode}`);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.limits.maxCompressedBytes) {
        response.body.destroy();
        throw compressedTooLarge(options.limits, declared);
      }
      return await writeStreamCapped(response.body, file, options.limits, signal);
    }
  } catch (error) {
    if (refusals[0] !== undefined) throw refusals[0];
    if (isRouterError(error)) throw error;
    if (signal.aborted) throw failed(current, `it did not finish within ${options.timeoutMs} ms`);
    // Writing the file failed (a full disk): the router's problem, not the download's.
    if (fileSystemCalls.has((error as NodeJS.ErrnoException).syscall ?? '')) throw error;
    throw failed(
      current,
      'no https exchange with its server succeeded (check that the URL is right, that its host is reachable from the router, and that it serves https with a certificate the router trusts)',
      error,
    );
  } finally {
    await dispatcher.close();
  }
}

/** The URL of the download or of a redirect (`from`): not a forbidden address when it is one, and a listed host. */
function checkHop(url: URL, options: DownloadOptions, from?: URL): void {
  const where = from === undefined ? `The package URL ${redactUrl(url)}` : `The package download at ${redactUrl(from)} redirected to ${redactUrl(url)}, which`;
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const kind = isIP(literal) === 0 ? undefined : refusedAddress(options.addressPolicy, url.hostname, literal);
  if (kind !== undefined) throw notAllowed(`${where} names ${kind} address; the router downloads packages from public addresses only.`, url);
  if (options.hosts.length === 0) {
    throw notAllowed(
      `${where} names a host, and this router downloads packages from no host: ${packageHostsSetting} is not set. ` +
        `Set it to the hosts the router may download from (e.g. "*.blob.core.windows.net"), or upload the zip instead.`,
      url,
    );
  }
  if (!packageHostAllowed(options.hosts, url.hostname)) {
    throw notAllowed(`${where} names the host ${url.hostname}, which is not one this router downloads from: add it to ${packageHostsSetting}, or upload the zip instead.`, url);
  }
}

/**
 * The connection's own DNS lookup, resolving once and refusing the host when any address it
 * resolves to is forbidden; the socket then connects to an address that was checked.
 */
function checkedLookup(policy: PackageAddressPolicy, refusals: RouterError[]) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const kind = addresses.map((entry) => refusedAddress(policy, hostname, entry.address)).find((found) => found !== undefined);
      const first = addresses[0];
      if (kind !== undefined || first === undefined) {
        const refusal = notAllowed(`The package host ${hostname} resolves to ${kind ?? 'no'} address; the router downloads packages from public addresses only.`);
        refusals.push(refusal);
        return callback(refusal, '');
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

const packageHostsSetting = 'ROUTER_PACKAGE_HOSTS';

function notAllowed(message: string, url?: URL): RouterError {
  return new RouterError('PACKAGE_URL_NOT_ALLOWED', message, url === undefined ? {} : { details: { url: redactUrl(url) } });
}

function nextLocation(current: URL, location: string | string[] | undefined, redirects: number): URL {
  if (redirects >= maxRedirects) throw failed(current, `it redirected more than ${maxRedirects} times`);
  const value = Array.isArray(location) ? location[0] : location;
  if (value === undefined) throw failed(current, 'it answered a redirect without a location');
  let next: URL;
  try {
    next = new URL(value, current);
  } catch {
    throw failed(current, 'it redirected to an address that is not a URL');
  }
  if (next.protocol !== 'https:') {
    throw new RouterError('PACKAGE_NOT_ALLOWED', `The package download at ${redactUrl(current)} redirected to ${next.protocol}//; the router follows https only.`);
  }
  return next;
}

function failed(url: URL, reason: string, cause?: unknown): RouterError {
  return new RouterError('PACKAGE_DOWNLOAD_FAILED', `The package could not be downloaded from ${redactUrl(url)}: ${reason}.`, {
    ...(cause === undefined ? {} : { cause }),
    details: { url: redactUrl(url) },
  });
}
