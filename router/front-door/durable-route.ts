import { RouterError } from '../../shared/errors/router-error.js';

/**
 * Which proxied requests are about one orchestration instance, and which start one, read from
 * the durable HTTP API's paths (base /runtime/webhooks/durabletask). Routes of the Functions
 * host match case-insensitively, so these do too.
 */
export type DurableRequest =
  | { readonly kind: 'other' }
  /** `instances/{id}` and anything below it: status, raiseEvent, terminate, suspend, resume, rewind, purge. */
  | { readonly kind: 'instance'; readonly instanceId: string; readonly purge: boolean }
  /** `POST orchestrators/{name}[/{instanceId}]`. */
  | { readonly kind: 'start'; readonly instanceId: string | undefined };

const apiPrefix = '/api/';
const durablePrefix = '/runtime/webhooks/durabletask/';
const otherRequest: DurableRequest = Object.freeze({ kind: 'other' });

/** True for the paths the front door proxies: `/api/*` and `/runtime/webhooks/durabletask/*`. */
export function isProxiedPath(url: string): boolean {
  if (url.startsWith(apiPrefix) || url.startsWith(durablePrefix)) return true;
  const head = url.slice(0, durablePrefix.length).toLowerCase();
  return head.startsWith(apiPrefix) || head === '/api' || head.startsWith('/api?') || head.startsWith(durablePrefix);
}

/** True for the durable HTTP API's paths (`/runtime/webhooks/durabletask/...`), any case. */
export function isDurableApiPath(url: string): boolean {
  return url.startsWith(durablePrefix) || url.slice(0, durablePrefix.length).toLowerCase() === durablePrefix;
}

/** Classifies a proxied request; an undecodable instance id is the client's error. */
export function classifyDurableRequest(method: string, url: string): DurableRequest | RouterError {
  if (url.charCodeAt(1) !== 0x72 /* r */ && url.charCodeAt(1) !== 0x52 /* R */) return otherRequest;
  if (!url.startsWith(durablePrefix) && url.slice(0, durablePrefix.length).toLowerCase() !== durablePrefix) return otherRequest;
  const queryAt = url.indexOf('?', durablePrefix.length);
  const segments = url.slice(durablePrefix.length, queryAt === -1 ? undefined : queryAt).split('/');
  const resource = segments[0]?.toLowerCase();
  const second = segments[1];
  if (second === undefined || second === '') return otherRequest;
  if (resource === 'instances') {
    const instanceId = decodeSegment(second);
    if (instanceId instanceof RouterError) return instanceId;
    const purge = method === 'DELETE' && (segments.length === 2 || (segments.length === 3 && segments[2] === ''));
    return { kind: 'instance', instanceId, purge };
  }
  if (resource === 'orchestrators' && method === 'POST') {
    const third = segments[2];
    const rest = segments.length > 4 || (segments.length === 4 && segments[3] !== '');
    if (rest) return otherRequest;
    if (third === undefined || third === '') return { kind: 'start', instanceId: undefined };
    const instanceId = decodeSegment(third);
    return instanceId instanceof RouterError ? instanceId : { kind: 'start', instanceId };
  }
  return otherRequest;
}

function decodeSegment(segment: string): string | RouterError {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    return new RouterError('INVALID_REQUEST', 'The instance id in the path is not valid percent-encoding.', { cause: error });
  }
}
