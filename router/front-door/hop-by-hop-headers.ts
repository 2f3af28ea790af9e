/**
 * Header rewriting between client and app. Hop-by-hop fields (RFC 9110 section 7.6.1:
 * Connection and the fields it names, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding,
 * Upgrade; plus Trailer, Expect and Proxy-Authorization, which this proxy consumes) are dropped in
 * both directions; the client's Host goes to `x-forwarded-host` and the app gets its own.
 * Header arrays are flat `[name, value, name, value, ...]`, as node and undici use them.
 */
import { routedVersionHeader } from '../../shared/http/error-response.js';

/** What the proxy needs to know about the client's request, noted while its headers are copied. */
export interface ClientRequestFacts {
  appVersion: string | undefined;
  host: string | undefined;
  forwardedHost: string | undefined;
  forwardedProto: string | undefined;
  hasBody: boolean;
  /** The declared `content-length`, -1 when none (a chunked body, or none). */
  requestLength: number;
  /** The `x-functions-key` the client sent: a router key, taken off here (the app gets its own). */
  functionsKey: string | undefined;
}

/** What the proxy needs to know about the app's response, noted while its headers are copied. */
export interface AppResponseFacts {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** -1 when the app sent none. */
  contentLength: number;
  /** Index of the Location value in the copied array, -1 when absent. */
  locationIndex: number;
}


/**
 * The headers sent to the app. `isAdminCredential` recognises an Authorization value carrying the
 * router's admin key, which never leaves the router; other Authorization values pass unchanged.
 * `x-functions-key` never passes: it is noted in `facts` and the proxy adds the app's own key.
 * The client's `x-forwarded-*` are kept (and noted) only when `trustForwarded` (the peer is a
 * trusted proxy); otherwise they are dropped and the router says what it saw itself.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[], remoteAddress: string | undefined, protocol: 'http' | 'https',
  isAdminCredential: (authorization: string) => boolean, facts: ClientRequestFacts, trustForwarded = false,
): string[] {
  const copied: string[] = [];
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    switch (name.toLowerCase()) {
      case 'host':
        facts.host = value;
        continue;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'transfer-encoding':
        facts.hasBody = true;
        continue;
      case 'keep-alive': case 'proxy-connection': case 'te': case 'upgrade': case 'trailer': case 'expect': case 'proxy-authorization':
        continue;
      case 'x-forwarded-for':
        if (trustForwarded) forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-host':
        if (trustForwarded) facts.forwardedHost ??= value;
        continue;
      case 'x-forwarded-proto':
        if (trustForwarded) facts.forwardedProto ??= value;
        continue;
      case 'x-functions-key':
        facts.functionsKey ??= value;
        continue;
      case 'x-app-version':
        facts.appVersion = facts.appVersion === undefined ? value : `${facts.appVersion}, ${value}`;
        break;
      case 'content-length':
        facts.requestLength = Number(value);
        if (value !== '0') facts.hasBody = true;
        break;
      case 'authorization':
        if (isAdminCredential(value)) continue;
        break;
    }
    copied.push(name, value);
  }
  const out = connection === undefined ? copied : withoutConnectionOptions(copied, connection);
  const forwardedForValue = remoteAddress === undefined ? forwardedFor
    : forwardedFor === undefined ? remoteAddress : `${forwardedFor}, ${remoteAddress}`;
  if (forwardedForValue !== undefined) out.push('x-forwarded-for', forwardedForValue);
  out.push('x-forwarded-proto', facts.forwardedProto ?? protocol);
  const forwardedHost = facts.forwardedHost ?? facts.host;
  if (forwardedHost !== undefined) out.push('x-forwarded-host', forwardedHost);
  return out;
}

export function downstreamResponseHeaders(rawHeaders: readonly Buffer[], routedVersion: string, facts: AppResponseFacts): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as Buffer).toString('latin1');
    const value = (rawHeaders[i + 1] as Buffer).toString('latin1');
    switch (name.toLowerCase()) {
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'keep-alive': case 'proxy-connection': case 'te': case 'transfer-encoding':
      case 'upgrade': case 'trailer': case 'proxy-authenticate': case routedVersionHeader:
        continue;
      case 'content-type':
        facts.contentType = value;
        break;
      case 'content-length':
        facts.contentLength = Number(value);
        break;
      case 'content-encoding':
        facts.contentEncoding = value;
        break;
      case 'location':
        facts.locationIndex = out.length + 1;
        break;
    }
    out.push(name, value);
  }
  if (connection === undefined) {
    out.push(routedVersionHeader, routedVersion);
    return out;
  }
  const filtered = withoutConnectionOptions(out, connection);
  if (filtered !== out && facts.locationIndex !== -1) facts.locationIndex = locationIndexOf(filtered);
  filtered.push(routedVersionHeader, routedVersion);
  return filtered;
}

/** Drops the fields a Connection header names (other than its own options close/keep-alive). */
function withoutConnectionOptions(headers: string[], connection: string): string[] {
  // Nearly every peer sends just "keep-alive" or "close": skip the parsing for those.
  if (connection.length <= 10) {
    const only = connection.toLowerCase();
    if (only === 'keep-alive' || only === 'close') return headers;
  }
  const named = new Set<string>();
  for (const token of connection.split(',')) {
    const option = token.trim().toLowerCase();
    if (option !== '' && option !== 'close' && option !== 'keep-alive') named.add(option);
  }
  if (named.size === 0) return headers;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (!named.has(name.toLowerCase())) kept.push(name, headers[i + 1] as string);
  }
  return kept;
}

function locationIndexOf(headers: readonly string[]): number {
  for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === 'location') return i + 1;
  return -1;
}
