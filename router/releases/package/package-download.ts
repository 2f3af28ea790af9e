import { Agent, request, type Dispatcher } from 'undici';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { compressedTooLarge, type PackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { writeStreamCapped } from './capped-file-write.js';
import { redactUrl } from './package-reference.js';

export interface DownloadOptions {
  readonly limits: PackageLimits;
  /** The whole download, redirects included. */
  readonly timeoutMs: number;
  /** PEM certificates trusted besides the system's (a private CA). */
  readonly trustedCertificates?: readonly string[];
}

const maxRedirects = 5;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const fileSystemCalls = new Set(['open', 'write', 'close', 'fsync']);

/**
 * Downloads a package zip over https into `file`, following up to 5 redirects (each one https
 * too), within the size limit (the declared length is checked first, the bytes while they
 * stream) and the time limit. Failures are PACKAGE_DOWNLOAD_FAILED or PACKAGE_TOO_LARGE; messages
 * never show the URL's query, which may hold a SAS token.
 */
export async function downloadPackage(url: URL, file: string, options: DownloadOptions): Promise<number> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const dispatcher: Dispatcher = new Agent({
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    ...(options.trustedCertificates?.length ? { connect: { ca: [...options.trustedCertificates] } } : {}),
  });
  let current = url;
  try {
    for (let redirects = 0; ; redirects++) {
      const response = await request(current, { method: 'GET', dispatcher, signal, headers: { accept: 'application/zip, application/octet-stream, */*' } });
      if (redirectStatuses.has(response.statusCode)) {
        await response.body.dump();
        current = nextLocation(current, response.headers['location'], redirects);
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
    if (isRouterError(error)) throw error;
    if (signal.aborted) throw failed(current, `it did not finish within ${options.timeoutMs} ms`);
    // Writing the file failed (a full disk): the router's problem, not the download's.
    if (fileSystemCalls.has((error as NodeJS.ErrnoException).syscall ?? '')) throw error;
    throw failed(current, (error as Error).message, error);
  } finally {
    await dispatcher.close();
  }
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
