import { request } from 'undici';
import { RouterError } from '../../shared/errors/router-error.js';
import { errorCatalogue, type ErrorCode } from '../../shared/errors/error-catalogue.js';

export interface AdminClientOptions {
  readonly url: string;
  readonly adminKey: string;
  readonly timeoutMs?: number;
}

/** A small client for the router's admin API, used by the CLI. */
export class AdminClient {
  readonly #base: URL;
  readonly #adminKey: string;
  readonly #timeoutMs: number;

  constructor(options: AdminClientOptions) {
    this.#base = parseRouterUrl(options.url);
    this.#adminKey = options.adminKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async get<T>(path: string): Promise<T> {
    return this.#send<T>('GET', path);
  }

  async #send<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.#base);
    let response;
    try {
      response = await request(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#adminKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
    } catch (cause) {
      throw new RouterError('UPSTREAM_UNAVAILABLE', `Could not reach the router at ${this.#base.origin}: ${(cause as Error).message}`, { cause });
    }
    const text = await response.body.text();
    const payload = text === '' ? undefined : parseJson(text);
    if (response.statusCode >= 400) throw toRouterError(response.statusCode, payload, url);
    return payload as T;
  }
}

function parseRouterUrl(value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url;
  } catch (cause) {
    throw new RouterError('INVALID_CONFIGURATION', `The router URL "${value}" is not an http(s) URL (set --url or ROUTER_URL).`, { cause });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text.slice(0, 500) };
  }
}

function toRouterError(status: number, payload: unknown, url: URL): RouterError {
  const error = (payload as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (error?.code !== undefined && error.code in errorCatalogue) {
    return new RouterError(error.code as ErrorCode, error.message);
  }
  const code: ErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new RouterError(code, `The router answered ${status} for ${url.pathname}${error?.message ? `: ${error.message}` : ''}.`);
}
