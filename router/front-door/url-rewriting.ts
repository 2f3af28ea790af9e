/**
 * Makes the app's absolute URLs (in `Location` and in the JSON of start responses:
 * statusQueryGetUri, sendEventPostUri, ...) point back at the router, so clients that follow
 * them keep being routed. Only the app's own base URL is replaced, and only where it is a whole
 * origin (so "http://h:80" never matches inside "http://h:8080" or "http://h.other").
 */

/** The app's base URL prepared for matching; compiled once per version-map change. */
export interface AppUrlPattern {
  /** Origin plus path prefix without its trailing slash, e.g. "http://127.0.0.1:7101". */
  readonly base: string;
  /** Bytes of the host as they appear in both plain and JSON-escaped URLs: a cheap pre-check. */
  readonly marker: Buffer;
  readonly pattern: RegExp;
}

/** Responses bigger than this are streamed untouched. */
export const maxRewrittenBodyBytes = 64 * 1024;

const jsonContentType = /^\s*(?:application\/(?:[\w.+-]*\+)?json|text\/json)\s*(?:;|$)/i;
const hostPattern = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

export function compileAppUrlPattern(appUrl: string): AppUrlPattern {
  const url = new URL(appUrl);
  const base = url.origin + url.pathname.replace(/\/+$/, '');
  const escapedBase = base.replaceAll('/', '\\/');
  const pattern = new RegExp(`(?:${escapeRegExp(base)}|(${escapeRegExp(escapedBase)}))(?![\\w.:%-])`, 'gi');
  return { base, marker: Buffer.from(url.host, 'latin1'), pattern };
}

/** The router's base URL as the client sees it: the configured one, else from the request's host. */
export function publicBaseUrl(
  configured: string | undefined, host: string | undefined, forwardedHost: string | undefined,
  forwardedProto: string | undefined, protocol: 'http' | 'https',
): string | undefined {
  if (configured !== undefined) return configured;
  const visibleHost = firstListItem(forwardedHost ?? host);
  if (visibleHost === undefined || !hostPattern.test(visibleHost)) return undefined;
  const proto = firstListItem(forwardedProto)?.toLowerCase();
  return `${proto === 'https' || proto === 'http' ? proto : protocol}://${visibleHost}`;
}

export function isRewritableJson(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  return contentType !== undefined && jsonContentType.test(contentType)
    && (contentEncoding === undefined || contentEncoding.trim().toLowerCase() === 'identity');
}

export function rewriteUrlText(text: string, app: AppUrlPattern, publicBase: string): string {
  app.pattern.lastIndex = 0;
  if (!app.pattern.test(text)) return text;
  const escapedPublic = publicBase.replaceAll('/', '\\/');
  return text.replace(app.pattern, (_match, escaped: string | undefined) => (escaped === undefined ? publicBase : escapedPublic));
}

/** The body with the app's URLs replaced; the same buffer when it names none. */
export function rewriteJsonBody(body: Buffer, app: AppUrlPattern, publicBase: string): Buffer {
  if (body.indexOf(app.marker) === -1) return body;
  const text = body.toString('utf8');
  const rewritten = rewriteUrlText(text, app, publicBase);
  return rewritten === text ? body : Buffer.from(rewritten, 'utf8');
}

function firstListItem(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const item = (comma === -1 ? value : value.slice(0, comma)).trim();
  return item === '' ? undefined : item;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
