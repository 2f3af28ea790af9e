import type { AppKeys, RouterKeys } from '../../shared/secrets/app-keys.js';

/**
 * Replaces an app's keys with the router's in what the app sends back (the `code=` of
 * `statusQueryGetUri`, `Location`, ...), as they are and percent-encoded: clients get URLs that work
 * through the router, and never an app's key. Compiled once per app; pure.
 */
export interface AppKeyMask {
  readonly replacements: readonly Replacement[];
}

interface Replacement {
  readonly from: string;
  readonly fromBytes: Buffer;
  readonly to: string;
}

export function compileAppKeyMask(app: AppKeys, router: RouterKeys): AppKeyMask {
  const replacements: Replacement[] = [];
  for (const [appKey, routerKey] of [[app.durableTask, router.durableApi], [app.function, router.function]] as const) {
    replacements.push(replacement(appKey, routerKey));
    const encoded = encodeURIComponent(appKey);
    // Router keys are URL-safe (front door options check it), so their encoded form is themselves.
    if (encoded !== appKey) replacements.push(replacement(encoded, routerKey));
  }
  return { replacements };
}

export function maskKeysInText(text: string, mask: AppKeyMask): string {
  let masked = text;
  for (const { from, to } of mask.replacements) if (masked.includes(from)) masked = masked.replaceAll(from, to);
  return masked;
}

/** The body with the app's keys replaced; the same buffer when it holds none. */
export function maskKeysInBody(body: Buffer, mask: AppKeyMask): Buffer {
  if (!mask.replacements.some(({ fromBytes }) => body.includes(fromBytes))) return body;
  return Buffer.from(maskKeysInText(body.toString('utf8'), mask), 'utf8');
}

function replacement(from: string, to: string): Replacement {
  return { from, fromBytes: Buffer.from(from, 'utf8'), to };
}
