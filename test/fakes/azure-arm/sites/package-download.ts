/**
 * Fetches a OneDeploy package by its `packageUri`, as the service does. The fake talks to
 * loopback only, so it accepts nothing but http(s) URLs on 127.0.0.1, localhost or [::1] (e.g. an
 * Azurite blob SAS URL). A URL may carry a SAS token: only its origin and path are ever shown.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { RouterError } from '../../../../shared/errors/router-error.js';

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why the fake will not fetch this URL, if it will not. */
export function packageUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'packageUri is not an absolute URL.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `packageUri must be an http or https URL, not ${url.protocol}.`;
  if (!loopbackHosts.has(url.hostname.toLowerCase())) {
    return `The fake ARM fetches packages from loopback only (127.0.0.1, localhost); packageUri names ${url.hostname}.`;
  }
  return undefined;
}

/** The URL without its query (a SAS token is a secret). */
export function describePackageUri(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

export interface DownloadedPackage {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Downloads to `file`; rejects with PACKAGE_DOWNLOAD_FAILED saying why (never the URL's query). */
export async function downloadPackage(uri: string, file: string, options: { readonly ca: string; readonly maxBytes: number; readonly timeoutMs: number }): Promise<DownloadedPackage> {
  const problem = packageUriProblem(uri);
  if (problem !== undefined) throw new RouterError('PACKAGE_DOWNLOAD_FAILED', problem);
  const shown = describePackageUri(uri);
  const dispatcher = new Agent({ connect: { ca: options.ca } });
  try {
    const response = await request(uri, { method: 'GET', dispatcher, signal: AbortSignal.timeout(options.timeoutMs) });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new RouterError('PACKAGE_DOWNLOAD_FAILED', `The package at ${shown} could not be downloaded: it answered HTTP ${response.statusCode}.`);
    }
    await mkdir(path.dirname(file), { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          callback(new RouterError('PACKAGE_TOO_LARGE', `The package at ${shown} is larger than the ${options.maxBytes} bytes the fake accepts.`));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(response.body, counter, createWriteStream(file));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return { file, sha256: hash.digest('hex'), bytes };
  } catch (error) {
    if (error instanceof RouterError) throw error;
    throw new RouterError('PACKAGE_DOWNLOAD_FAILED', `The package at ${shown} could not be downloaded: ${(error as Error).message}`, { cause: error });
  } finally {
    await dispatcher.close();
  }
}
