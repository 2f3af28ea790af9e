import { KeyDigest } from '../../shared/secrets/key-digest.js';

const bearer = /^\s*bearer\s+(\S+)\s*$/i;

/** The router's admin key, presented as `Authorization: Bearer <key>` and compared in constant time. */
export class AdminKey {
  readonly #key: KeyDigest;

  constructor(key: string) {
    this.#key = new KeyDigest(key);
  }

  /** True when an Authorization header value is `Bearer <admin key>`. */
  matchesAuthorization(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    return this.#key.matches(bearer.exec(authorization)?.[1]);
  }
}
