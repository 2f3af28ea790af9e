/**
 * HTTP requests and responses in the worker protocol's `RpcHttpData` shape, which the
 * `@azure/functions` library turns into its `HttpRequest` and back from its `HttpResponse`.
 * The body always travels as bytes, so binary and text bodies of any content type pass unchanged.
 * Pure: no I/O.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from '../app-loading/functions-core-types.js';

export interface HttpRequestParts {
  readonly method: string;
  /** Absolute URL, query included. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly params: Readonly<Record<string, string>>;
}

export interface HttpResponseParts {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
}

/**
 * The trigger's input data. The query is left to the library, which reads it from the URL so
 * that repeated keys keep all their values.
 */
export function toRpcHttpRequest(request: HttpRequestParts): RpcTypedData {
  const http: RpcHttpData = {
    method: request.method.toUpperCase(),
    url: request.url,
    headers: singleValuedHeaders(request.headers),
    params: { ...request.params },
    body: request.body && request.body.length > 0 ? { bytes: request.body } : null,
  };
  return { http };
}

/**
 * With HTTP streams the request itself reaches the worker over HTTP; the library takes its headers
 * and route parameters from the trigger metadata instead, as the Functions host sends them.
 */
export function toRpcHttpStreamMetadata(request: Omit<HttpRequestParts, 'body' | 'method'>): Record<string, RpcTypedData> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URL(request.url).searchParams) query[name] = value;
  const metadata: Record<string, RpcTypedData> = {};
  for (const [name, value] of Object.entries(request.params)) metadata[name] = { string: value };
  metadata['Headers'] = { json: JSON.stringify(singleValuedHeaders(request.headers)) };
  metadata['Query'] = { json: JSON.stringify(query) };
  return metadata;
}

function singleValuedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const single: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    single[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return single;
}

const droppedResponseHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export function serializeCookie(cookie: RpcHttpCookie): string {
  let text = `${cookie.name ?? ''}=${cookie.value ?? ''}`;
  if (cookie.domain?.value) text += `; Domain=${cookie.domain.value}`;
  if (cookie.path?.value) text += `; Path=${cookie.path.value}`;
  const expires = cookie.expires?.value?.seconds;
  if (typeof expires === 'number') text += `; Expires=${new Date(expires * 1000).toUTCString()}`;
  const maxAge = cookie.maxAge?.value;
  if (typeof maxAge === 'number') text += `; Max-Age=${Math.trunc(maxAge)}`;
  if (cookie.secure?.value) text += '; Secure';
  if (cookie.httpOnly?.value) text += '; HttpOnly';
  if (cookie.sameSite === 'lax') text += '; SameSite=Lax';
  else if (cookie.sameSite === 'strict') text += '; SameSite=Strict';
  else if (cookie.sameSite === 'explicitNone') text += '; SameSite=None';
  return text;
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.stream) return Buffer.from(body.stream);
  if (typeof body.string === 'string') return Buffer.from(body.string, 'utf8');
  if (typeof body.json === 'string') return Buffer.from(body.json, 'utf8');
  if (typeof body.int === 'number' || typeof body.double === 'number') return Buffer.from(String(body.int ?? body.double));
  return Buffer.alloc(0);
}

/** Thrown when a function's HTTP output cannot become a response (the host answers 500). */
export class InvalidHttpResponseError extends Error {
  override readonly name = 'InvalidHttpResponseError';
}

/** Converts one `http` typed value; no value at all means the function set no response (200, empty). */
export function fromRpcHttpResponse(data: RpcTypedData | null | undefined): HttpResponseParts {
  if (data === null || data === undefined) return { status: 200, headers: {}, body: Buffer.alloc(0) };
  const http = data.http;
  if (!http) throw new InvalidHttpResponseError('The function\'s HTTP output is not an HTTP response.');
  const status = http.statusCode === null || http.statusCode === undefined ? 200 : Number(http.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new InvalidHttpResponseError(`The function returned the invalid HTTP status "${http.statusCode}".`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    if (!droppedResponseHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) {
    const existing = headers['set-cookie'];
    headers['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...cookies];
  }
  return { status, headers, body: bodyBytes(http.body) };
}

/**
 * Where the function's HTTP response is: the `$return` binding when it is an http output,
 * otherwise the first http output binding among the response's output data.
 */
export function httpResponseData(
  bindings: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  response: RpcInvocationResponse,
): RpcTypedData | null | undefined {
  const isHttp = (name: string): boolean => String(bindings[name]?.['type'] ?? '').toLowerCase() === 'http';
  if (isHttp('$return')) return response.returnValue;
  const output = (response.outputData ?? []).find((entry) => entry.name && isHttp(entry.name));
  return output?.data;
}
