/**
 * The waits between polls of something ARM is still doing (a deployment, a site an earlier
 * provision is creating): the configured interval first, then half as long again each time, up to
 * eight times the interval, so a long operation costs few calls and a short one is seen quickly.
 */
export class PollBackoff {
  readonly #maxMs: number;
  #nextMs: number;

  constructor(intervalMs: number) {
    this.#nextMs = intervalMs;
    this.#maxMs = intervalMs * 8;
  }

  next(): number {
    const wait = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, Math.round(this.#nextMs * 1.5));
    return wait;
  }
}
