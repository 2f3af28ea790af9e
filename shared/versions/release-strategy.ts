/**
 * How a version is released: the four strategies of Microsoft's zero-downtime guidance for
 * Durable Functions. A major.minor keeps the strategy of its first release. Pure.
 */
export const releaseStrategies = ['app-routing', 'versioned-names', 'slot-swap', 'orchestration-versioning'] as const;
export type ReleaseStrategy = (typeof releaseStrategies)[number];

/** Entries recorded before strategies were recorded were all released by app routing. */
export const defaultReleaseStrategy: ReleaseStrategy = 'app-routing';

export function isReleaseStrategy(value: unknown): value is ReleaseStrategy {
  return typeof value === 'string' && (releaseStrategies as readonly string[]).includes(value);
}
