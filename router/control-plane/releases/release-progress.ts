/**
 * A release's progress as its custom status shows it (and GET /admin/releases/{id} returns it).
 * Pure: the release orchestration computes every status from its input and what happened.
 */
import type { RouteKey } from '../../../shared/versions/version-map.js';
import type { ErrorBody } from '../durable/outcome.js';
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';

export const releaseSteps = [
  'validating', 'provisioning', 'configuring', 'deploying', 'waiting-for-health', 'isolating-entities', 'raising-version', 'recording', 'promoting', 'starting-drain',
  'rolling-back', 'done',
] as const;
export type ReleaseStep = (typeof releaseSteps)[number];

export type ReleaseKind = 'breaking' | 'patch';
export type ReleaseState = 'pending' | 'running' | 'succeeded' | 'failed';

/** What the release orchestration receives: everything it needs, so its code reads no settings. */
export interface ReleaseInput {
  readonly releaseId: string;
  readonly version: string;
  readonly routeKey: RouteKey;
  readonly strategy: ReleaseStrategy;
  readonly promote: boolean;
  /** The kept package (see KeptPackages). */
  readonly sha256: string;
  /** The names of the release's app settings; their values are kept sealed apart (ReleaseSettingsStore), by release id. */
  readonly settingNames: readonly string[];
  readonly requestedAt: string;
  readonly health: { readonly timeoutMs: number; readonly intervalMs: number };
}

export interface ReleaseStatus {
  readonly releaseId: string;
  readonly version: string;
  readonly routeKey: RouteKey;
  readonly strategy: ReleaseStrategy;
  readonly promote: boolean;
  readonly state: ReleaseState;
  readonly step: ReleaseStep;
  readonly progress: number;
  readonly kind?: ReleaseKind;
  readonly app?: string;
  readonly detail?: string;
  readonly failedStep?: ReleaseStep;
  readonly error?: ErrorBody;
}

/** The orchestration's output. */
export interface ReleaseOutcome {
  readonly state: 'succeeded' | 'failed';
  readonly version: string;
  readonly routeKey: RouteKey;
  readonly kind?: ReleaseKind;
  readonly app?: string;
  readonly current?: RouteKey | null;
  readonly draining?: readonly RouteKey[];
  readonly failedStep?: ReleaseStep;
  readonly error?: ErrorBody;
  /** What was undone after a failure, or what could not be. */
  readonly cleanup?: readonly string[];
}

const stepProgress: Readonly<Record<ReleaseStep, number>> = {
  validating: 5,
  provisioning: 15,
  configuring: 25,
  deploying: 40,
  'waiting-for-health': 55,
  'isolating-entities': 81,
  'raising-version': 82,
  recording: 85,
  promoting: 90,
  'starting-drain': 95,
  'rolling-back': 95,
  done: 100,
};
const healthProgressSpan = 25;

/** Percent done at the start of a step; while waiting for health it grows with the time spent. */
export function progressOf(step: ReleaseStep, healthWaitFraction = 0): number {
  if (step !== 'waiting-for-health') return stepProgress[step];
  const fraction = Math.min(1, Math.max(0, healthWaitFraction));
  return stepProgress[step] + Math.floor(fraction * healthProgressSpan);
}

export function runningStatus(input: ReleaseInput, step: ReleaseStep, extra: Partial<ReleaseStatus> = {}, progress = progressOf(step)): ReleaseStatus {
  return {
    releaseId: input.releaseId,
    version: input.version,
    routeKey: input.routeKey,
    strategy: input.strategy,
    promote: input.promote,
    state: 'running',
    step,
    progress,
    ...extra,
  };
}
