/**
 * When to start an app's process again after it ended on its own: at once after a process that
 * had run a while, with a doubling delay after one that died soon after starting, and not at all
 * after a crash loop (the same fault would kill every next one too).
 */
export interface CrashRestartPolicy {
  /** A process that lived this long was not crash-looping: the next one starts at once. */
  readonly healthyLifetimeMs: number;
  /** The delay after the first quick crash; it doubles with every next one. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** After this many quick crashes in a row, the platform gives up. */
  readonly maxQuickCrashes: number;
}

export const defaultCrashRestartPolicy: CrashRestartPolicy = {
  healthyLifetimeMs: 10_000,
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  maxQuickCrashes: 5,
};

export type CrashDecision =
  | { readonly restart: true; readonly delayMs: number; readonly quickCrashes: number }
  | { readonly restart: false; readonly quickCrashes: number };

/** One app's crash history since its process last ran healthily. */
export class CrashRestarts {
  readonly #policy: CrashRestartPolicy;
  #quickCrashes = 0;

  constructor(policy: CrashRestartPolicy) {
    this.#policy = policy;
  }

  /** A process ended on its own after `livedMs` (0: a restart that did not even start). */
  crashed(livedMs: number): CrashDecision {
    if (livedMs >= this.#policy.healthyLifetimeMs) {
      this.#quickCrashes = 0;
      return { restart: true, delayMs: 0, quickCrashes: 0 };
    }
    this.#quickCrashes += 1;
    if (this.#quickCrashes >= this.#policy.maxQuickCrashes) return { restart: false, quickCrashes: this.#quickCrashes };
    const delayMs = Math.min(this.#policy.firstDelayMs * 2 ** (this.#quickCrashes - 1), this.#policy.maxDelayMs);
    return { restart: true, delayMs, quickCrashes: this.#quickCrashes };
  }

  /** Started by hand (a deploy, a resume): the history starts over. */
  reset(): void {
    this.#quickCrashes = 0;
  }
}
