/**
 * The answer to "how is release X doing?" (GET /admin/releases/{id}), read from the release
 * orchestration's status: its custom status while it runs, its output once it has ended. Pure.
 */
import type { RouteKey } from '../../../shared/versions/version-map.js';
import type { ErrorBody } from '../durable/outcome.js';
import { orchestrationNames } from '../function-names.js';
import type { ReleaseInput, ReleaseKind, ReleaseOutcome, ReleaseState, ReleaseStatus, ReleaseStep } from './release-progress.js';
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';

export interface ReleaseView {
  readonly id: string;
  readonly version: string;
  readonly routeKey: RouteKey;
  readonly strategy: ReleaseStrategy;
  readonly promote: boolean;
  /** The names of the app settings the release sets (never their values). */
  readonly settingNames: readonly string[];
  readonly state: ReleaseState;
  readonly step: ReleaseStep | 'queued';
  readonly progress: number;
  readonly kind: ReleaseKind | null;
  readonly app: string | null;
  readonly detail?: string;
  readonly failedStep?: ReleaseStep;
  readonly error?: ErrorBody;
  readonly cleanup?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The durable status fields this needs (DurableOrchestrationStatus has them). */
export interface OrchestrationSnapshot {
  readonly name: string;
  readonly instanceId: string;
  readonly runtimeStatus: string;
  readonly input: unknown;
  readonly customStatus?: unknown;
  readonly output: unknown;
  readonly createdTime: Date | string;
  readonly lastUpdatedTime: Date | string;
}

/** Undefined when the instance is not a release. */
export function describeRelease(snapshot: OrchestrationSnapshot): ReleaseView | undefined {
  if (snapshot.name !== orchestrationNames.release) return undefined;
  const input = snapshot.input as ReleaseInput;
  const status = isRecord(snapshot.customStatus) ? (snapshot.customStatus as unknown as ReleaseStatus) : undefined;
  const base = {
    id: snapshot.instanceId,
    version: input.version,
    routeKey: input.routeKey,
    strategy: input.strategy,
    promote: input.promote,
    // Releases started before the settings were kept apart have none in their input.
    settingNames: Array.isArray(input.settingNames) ? input.settingNames : [],
    kind: status?.kind ?? null,
    app: status?.app ?? null,
    createdAt: iso(snapshot.createdTime),
    updatedAt: iso(snapshot.lastUpdatedTime),
  };
  switch (snapshot.runtimeStatus) {
    case 'Completed': {
      const outcome = snapshot.output as ReleaseOutcome;
      return {
        ...base,
        kind: outcome.kind ?? base.kind,
        app: outcome.app ?? base.app,
        state: outcome.state,
        step: 'done',
        progress: 100,
        ...(outcome.failedStep === undefined ? {} : { failedStep: outcome.failedStep }),
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        ...(outcome.cleanup === undefined ? {} : { cleanup: outcome.cleanup }),
      };
    }
    case 'Failed':
    case 'Terminated':
    case 'Canceled':
      return {
        ...base,
        state: 'failed',
        step: status?.step ?? 'queued',
        progress: status?.progress ?? 0,
        ...(status === undefined ? {} : { failedStep: status.step }),
        error: {
          code: 'INTERNAL',
          message: snapshot.runtimeStatus === 'Failed'
            ? `The release orchestration failed unexpectedly: ${String(snapshot.output ?? 'no reason given')}`
            : `The release orchestration was ${snapshot.runtimeStatus.toLowerCase()}; what it had provisioned may be left: check GET /admin/versions.`,
        },
      };
    default:
      if (status === undefined) return { ...base, state: 'pending', step: 'queued', progress: 0 };
      return { ...base, state: 'running', step: status.step, progress: status.progress, ...(status.detail === undefined ? {} : { detail: status.detail }) };
  }
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
