import type { Readable } from 'node:stream';
import { request } from 'undici';
import { RouterError } from '../../shared/errors/router-error.js';
import { errorCatalogue, type ErrorCode } from '../../shared/errors/error-catalogue.js';

export interface AdminClientOptions {
  readonly url: string;
  readonly adminKey: string;
  readonly timeoutMs?: number;
}

/** A successful answer with its status: some admin calls answer 202 while they go on. */
export interface AdminAnswer<T> {
  readonly status: number;
  readonly body: T;
}

type Payload = { readonly contentType: string; readonly body: string | Readable };

/** Starting a release from an https URL waits for the download (the front door allows 300 s). */
const uploadTimeoutMs = 300_000;

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

  /** The router's URL as given (for messages and for links to print). */
  get url(): string {
    return this.#base.origin;
  }

  async get<T>(path: string): Promise<T> {
    return (await this.#send<T>('GET', path)).body;
  }

  async post<T>(path: string, body?: unknown): Promise<AdminAnswer<T>> {
    return this.#send<T>('POST', path, body === undefined ? undefined : { contentType: 'application/json', body: JSON.stringify(body) });
  }

  async delete<T>(path: string): Promise<AdminAnswer<T>> {
    return this.#send<T>('DELETE', path);
  }

  /** POSTs a stream (a zip) as the request body, as it is read. */
  async upload<T>(path: string, body: Readable, contentType: string): Promise<AdminAnswer<T>> {
    return this.#send<T>('POST', path, { contentType, body }, uploadTimeoutMs);
  }

  async #send<T>(method: 'GET' | 'POST' | 'DELETE', path: string, payload?: Payload, timeoutMs = this.#timeoutMs): Promise<AdminAnswer<T>> {
    const url = new URL(path, this.#base);
    let response;
    try {
      response = await request(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#adminKey}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': payload.contentType }),
        },
        body: payload?.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (cause) {
      throw new RouterError('UPSTREAM_UNAVAILABLE', `Could not reach the router at ${this.#base.origin}: ${(cause as Error).message}`, { cause });
    }
    const text = await response.body.text();
    const body = text === '' ? undefined : parseJson(text);
    if (response.statusCode >= 400) throw toRouterError(response.statusCode, body, url);
    return { status: response.statusCode, body: body as T };
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
  const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  if (error?.code !== undefined && error.code in errorCatalogue) {
    const details = typeof error.details === 'object' && error.details !== null ? { details: error.details as Record<string, unknown> } : undefined;
    return new RouterError(error.code as ErrorCode, error.message, details);
  }
  const code: ErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new RouterError(code, `The router answered ${status} for ${url.pathname}${error?.message ? `: ${error.message}` : ''}.`);
}
