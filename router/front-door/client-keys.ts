import { KeyDigest } from '../../shared/secrets/key-digest.js';
import type { RouterKeys } from '../../shared/secrets/app-keys.js';

/**
 * The keys a client presents to the router, the way a Functions host takes them: the `code` query
 * parameter or the `x-functions-key` header. Clients present the router's keys, never an app's; the
 * front door takes them off every request (so no client key ever reaches an app, and no one can
 * probe an app's keys through the router) and adds the app's own key instead. Pure.
 */

/**
 * The request target without its `code` parameters, and their values. A parameter is `code` when
 * its name decodes to it whatever the case (`%63ode`, `CODE`), as the Functions host reads it;
 * other parameters stay byte for byte.
 */
export function takeCodeParameters(url: string): { readonly url: string; readonly codes: readonly string[] } {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return { url, codes: [] };
  const query = url.slice(queryAt + 1);
  // The common case, a query with no code in it however spelled, costs one scan.
  if (!/(?:^|&)(?:c|%63|%43)(?:o|%6f|%4f)(?:d|%64|%44)(?:e|%65|%45)(?:=|&|$)/i.test(query)) return { url, codes: [] };
  const codes: string[] = [];
  const kept: string[] = [];
  for (const parameter of query.split('&')) {
    const equals = parameter.indexOf('=');
    const name = decodeComponent(equals === -1 ? parameter : parameter.slice(0, equals));
    if (name?.toLowerCase() === 'code') codes.push(decodeComponent(equals === -1 ? '' : parameter.slice(equals + 1)) ?? '');
    else kept.push(parameter);
  }
  const path = url.slice(0, queryAt);
  return { url: kept.length === 0 ? path : `${path}?${kept.join('&')}`, codes };
}

/** Which router key a request presented, if any. */
export type PresentedKey = 'durable-api' | 'function' | 'none';

export class RouterKeyCheck {
  readonly #durableApi: KeyDigest;
  readonly #function: KeyDigest;

  constructor(keys: RouterKeys) {
    this.#durableApi = new KeyDigest(keys.durableApi);
    this.#function = new KeyDigest(keys.function);
  }

  /** The header wins over the query, as on a Functions host; a key that is neither router key is `none`. */
  presented(header: string | undefined, codes: readonly string[]): PresentedKey {
    const key = header ?? codes[0];
    if (key === undefined) return 'none';
    if (this.#durableApi.matches(key)) return 'durable-api';
    if (this.#function.matches(key)) return 'function';
    return 'none';
  }
}

/** As a query string decodes (`+` is a space); undefined when it is not valid percent-encoding. */
function decodeComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
