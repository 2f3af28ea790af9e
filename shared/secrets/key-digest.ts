import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A key compared in constant time: both sides are hashed first, so neither the content nor the
 * length of the key leaks through timing. The one comparison every key check of the router uses.
 */
export class KeyDigest {
  readonly #digest: Buffer;

  constructor(key: string) {
    this.#digest = digestOf(key);
  }

  matches(presented: string | undefined): boolean {
    return presented !== undefined && timingSafeEqual(digestOf(presented), this.#digest);
  }
}

function digestOf(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
