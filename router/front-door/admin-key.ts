import { createHash, timingSafeEqual } from 'node:crypto';

const bearer = /^\s*bearer\s+(\S+)\s*$/i;

/**
 * The router's admin key, compared in constant time: both sides are hashed first, so neither the
 * content nor the length of the key leaks through timing.
 */
export class AdminKey {
  readonly #digest: Buffer;

  constructor(key: string) {
    this.#digest = digest(key);
  }

  /** True when an Authorization header value is `Bearer <admin key>`. */
  matchesAuthorization(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const presented = bearer.exec(authorization)?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), this.#digest);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
