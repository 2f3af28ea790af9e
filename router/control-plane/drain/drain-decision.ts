/** What a drain monitor does after looking at its version. Pure. */
import type { VersionEntry } from '../../../shared/versions/version-map.js';

export type DrainDecision =
  | { readonly action: 'stop'; readonly reason: string }
  | { readonly action: 'wait'; readonly delayMs: number }
  | { readonly action: 'decommission' };

/**
 * A draining version is checked again every poll interval; a drained one is decommissioned once
 * the grace period since it drained has passed (a rollback in between makes it active again and
 * the monitor stops). Any other state ends the monitor.
 */
export function decideDrain(entry: VersionEntry | undefined, now: Date, pollMs: number, graceMs: number): DrainDecision {
  if (entry === undefined) return { action: 'stop', reason: 'the version is no longer in the map' };
  if (entry.state === 'draining') return { action: 'wait', delayMs: pollMs };
  if (entry.state !== 'drained') return { action: 'stop', reason: `the version is ${entry.state}` };
  const drainedAt = entry.drainedAt === undefined ? now.getTime() : Date.parse(entry.drainedAt);
  const remaining = drainedAt + graceMs - now.getTime();
  return remaining <= 0 ? { action: 'decommission' } : { action: 'wait', delayMs: Math.min(pollMs, remaining) };
}
