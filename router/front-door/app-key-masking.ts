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

/** Bodies a key can be read in: text, uncompressed (a compressed body passes as it is). */
export function isMaskableBody(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') return false;
  return contentType === undefined || textContentType.test(contentType);
}

const textContentType = /^\s*(?:text\/|application\/(?:json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|javascript|x-www-form-urlencoded)\s*(?:;|$))/i;

/**
 * Masks a body streamed chunk by chunk: a key may be cut between two chunks, so the end of a chunk
 * that could be the start of a key is held back until the next chunk, or the end, shows what it is
 * (everything else goes on at once, so streamed events are not delayed).
 */
export class StreamingKeyMask {
  readonly #mask: AppKeyMask;
  readonly #longest: number;
  #tail: Buffer = Buffer.alloc(0);

  constructor(mask: AppKeyMask) {
    this.#mask = mask;
    this.#longest = Math.max(...mask.replacements.map(({ fromBytes }) => fromBytes.length));
  }

  /** What can be sent of the body so far. */
  push(chunk: Buffer): Buffer {
    const data = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    // A key that starts before the cut ends within the data: what could begin one is after the cut.
    const cut = data.length - this.#startOfKeyAtEnd(data);
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const found = this.#next(data, at);
      if (found === undefined || found.index >= cut) break;
      out.push(data.subarray(at, found.index), found.to);
      at = found.index + found.length;
    }
    const sent = Math.max(at, cut);
    out.push(data.subarray(at, sent));
    this.#tail = Buffer.from(data.subarray(sent));
    return out.length === 1 ? out[0] as Buffer : Buffer.concat(out);
  }

  /** How many bytes at the end of `data` are the first bytes of a key (the most, up to one fewer than the key). */
  #startOfKeyAtEnd(data: Buffer): number {
    for (let length = Math.min(this.#longest - 1, data.length); length > 0; length--) {
      const end = data.subarray(data.length - length);
      if (this.#mask.replacements.some(({ fromBytes }) => fromBytes.length > length && fromBytes.subarray(0, length).equals(end))) return length;
    }
    return 0;
  }

  /** The rest of the body. */
  end(): Buffer {
    const tail = this.#tail;
    this.#tail = Buffer.alloc(0);
    return maskKeysInBody(tail, this.#mask);
  }

  #next(data: Buffer, from: number): { index: number; length: number; to: Buffer } | undefined {
    let best: { index: number; length: number; to: Buffer } | undefined;
    for (const { fromBytes, to } of this.#mask.replacements) {
      const index = data.indexOf(fromBytes, from);
      if (index !== -1 && (best === undefined || index < best.index)) best = { index, length: fromBytes.length, to: Buffer.from(to, 'utf8') };
    }
    return best;
  }
}
