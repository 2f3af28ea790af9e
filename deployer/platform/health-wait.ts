import { setTimeout as sleep } from 'node:timers/promises';
import { RouterError } from '../../shared/errors/router-error.js';
import type { AppHealth, Platform } from './platform.js';

export interface HealthWaitOptions {
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Time between probes (default 250 ms). */
  readonly intervalMs?: number;
  /** Sees every probe's answer, e.g. to report progress. */
  readonly onProbe?: (health: AppHealth, elapsedMs: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Polls `platform.health` until the app is healthy; rejects with PLATFORM_DEPLOY_FAILED naming the
 * last probe's detail when the time is up. For callers outside orchestrations (orchestrations wait
 * with durable timers and call `health` from an activity).
 */
export async function waitForHealthy(platform: Platform, appName: string, options: HealthWaitOptions = {}): Promise<AppHealth> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const started = performance.now();
  for (;;) {
    const health = await platform.health(appName);
    const elapsedMs = performance.now() - started;
    options.onProbe?.(health, elapsedMs);
    if (health.healthy) return health;
    if (elapsedMs + intervalMs > timeoutMs) {
      throw new RouterError('PLATFORM_DEPLOY_FAILED', `The app "${appName}" did not become healthy within ${timeoutMs} ms: ${health.detail}`, {
        details: { appName, state: health.state },
      });
    }
    await sleep(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
