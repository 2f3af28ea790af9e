/**
 * What a benchmark needs to tell the router's own time from the operations' latency: every ARM call
 * answered, and the intervals in which the fake itself was busy on an operation (handling a
 * request, a long-running operation in progress, a deployment or a restart running). Times are
 * epoch milliseconds with sub-millisecond precision, comparable with `Date.now()`.
 */
export interface ArmCall {
  readonly operationId: string;
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly status: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export type BusyKind = 'request' | 'long-running-operation' | 'deployment' | 'restart';

export interface BusyInterval {
  readonly kind: BusyKind;
  readonly operationId: string;
  /** The site or plan it was about, when there is one. */
  readonly resource?: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

export function fakeArmNow(): number {
  return performance.timeOrigin + performance.now();
}

export class FakeArmAccounting {
  readonly calls: ArmCall[] = [];
  readonly busy: BusyInterval[] = [];

  recordCall(call: ArmCall): void {
    this.calls.push(call);
    this.busy.push({ kind: 'request', operationId: call.operationId, startedAt: call.startedAt, endedAt: call.endedAt });
  }

  recordBusy(interval: BusyInterval): void {
    this.busy.push(interval);
  }

  /** How long within [from, to] the fake was busy on anything (overlapping intervals count once). */
  busyMsBetween(from: number, to: number): number {
    const clipped = this.busy
      .map((interval) => [Math.max(interval.startedAt, from), Math.min(interval.endedAt, to)] as const)
      .filter(([start, end]) => end > start)
      .sort((a, b) => a[0] - b[0]);
    let total = 0;
    let runStart = Number.NEGATIVE_INFINITY;
    let runEnd = Number.NEGATIVE_INFINITY;
    for (const [start, end] of clipped) {
      if (start > runEnd) {
        if (runEnd > runStart) total += runEnd - runStart;
        runStart = start;
        runEnd = end;
      } else {
        runEnd = Math.max(runEnd, end);
      }
    }
    if (runEnd > runStart) total += runEnd - runStart;
    return total;
  }
}
