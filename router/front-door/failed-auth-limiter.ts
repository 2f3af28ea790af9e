/**
 * Slows down guessing the admin key: a client address that fails the admin check `maxFailures`
 * times within `windowMs` is refused (429) until that window has passed, before its key is even
 * looked at. Per front door, in memory, bounded: the oldest addresses are forgotten first. Pure
 * apart from the clock it is given.
 */
export interface FailedAuthLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Addresses remembered at most. */
  readonly maxClients: number;
}

export const defaultFailedAuthLimits: FailedAuthLimits = Object.freeze({ maxFailures: 10, windowMs: 60_000, maxClients: 10_000 });

interface ClientFailures {
  /** Times of the failures in the current window, oldest first. */
  readonly times: number[];
}

export class FailedAuthLimiter {
  readonly #limits: FailedAuthLimits;
  readonly #now: () => number;
  readonly #clients = new Map<string, ClientFailures>();

  constructor(limits: FailedAuthLimits = defaultFailedAuthLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Milliseconds until this client may try again, or 0 when it may now. */
  retryAfterMs(client: string): number {
    const failures = this.#recent(client);
    if (failures === undefined || failures.times.length < this.#limits.maxFailures) return 0;
    const oldest = failures.times[failures.times.length - this.#limits.maxFailures] as number;
    return Math.max(1, oldest + this.#limits.windowMs - this.#now());
  }

  recordFailure(client: string): void {
    const failures = this.#recent(client) ?? { times: [] };
    failures.times.push(this.#now());
    if (failures.times.length > this.#limits.maxFailures) failures.times.splice(0, failures.times.length - this.#limits.maxFailures);
    // Re-inserted so that the map's order is least recently failed first.
    this.#clients.delete(client);
    this.#clients.set(client, failures);
    while (this.#clients.size > this.#limits.maxClients) {
      const oldest = this.#clients.keys().next().value as string;
      this.#clients.delete(oldest);
    }
  }

  #recent(client: string): ClientFailures | undefined {
    const failures = this.#clients.get(client);
    if (failures === undefined) return undefined;
    const since = this.#now() - this.#limits.windowMs;
    while (failures.times.length > 0 && (failures.times[0] as number) <= since) failures.times.shift();
    if (failures.times.length === 0) {
      this.#clients.delete(client);
      return undefined;
    }
    return failures;
  }
}
