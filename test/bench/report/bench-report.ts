/** Figures of one wrk run against one target, and how they read side by side. Pure: no I/O. */

export type LoadName = 'saturation' | 'paced';

export interface RunFigures {
  readonly target: string;
  readonly label: string;
  readonly load: LoadName;
  /** Cluster runs only. */
  readonly workers?: number | undefined;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of the target's process tree per request; for `direct` that is the backend's own. */
  readonly cpuUsPerRequest: number;
  /** CPU of the backend per request during the same run, for context. */
  readonly backendCpuUsPerRequest: number;
  readonly errors: number;
  /** Paced runs: sends that started more than 1 ms behind schedule. */
  readonly late: number;
}

/** One wrk run of one round; a target's figures aggregate its rounds. */
export interface RoundSample {
  readonly requests: number;
  readonly durationUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuUs: number;
  readonly backendCpuUs: number;
  readonly errors: number;
  readonly late: number;
}

/**
 * Throughput and CPU per request over all rounds together (total requests over total time and
 * total CPU); latency percentiles cannot be merged from summaries, so the median round's are shown.
 */
export function aggregateRounds(
  identity: { target: string; label: string; load: LoadName; workers?: number | undefined },
  samples: readonly RoundSample[],
): RunFigures {
  const sum = (pick: (sample: RoundSample) => number): number => samples.reduce((total, sample) => total + pick(sample), 0);
  const requests = sum((sample) => sample.requests);
  const durationUs = sum((sample) => sample.durationUs);
  const perRequest = Math.max(requests, 1);
  return {
    ...identity,
    requests,
    requestsPerSecond: durationUs > 0 ? (requests * 1_000_000) / durationUs : 0,
    p50Ms: median(samples.map((sample) => sample.p50Us)) / 1000,
    p99Ms: median(samples.map((sample) => sample.p99Us)) / 1000,
    cpuUsPerRequest: sum((sample) => sample.cpuUs) / perRequest,
    backendCpuUsPerRequest: sum((sample) => sample.backendCpuUs) / perRequest,
    errors: sum((sample) => sample.errors),
    late: sum((sample) => sample.late),
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface UnavailableTarget {
  readonly target: string;
  readonly label: string;
  readonly reason: string;
}

export interface GoalCheck {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const baseline = 'dispatch';
const replyFrom = 'reply-from';

function find(runs: readonly RunFigures[], target: string, load: LoadName): RunFigures | undefined {
  return runs.find((run) => run.target === target && run.load === load && run.workers === undefined);
}

function ratio(value: number | undefined, reference: number | undefined): number | undefined {
  return value === undefined || reference === undefined || reference === 0 ? undefined : value / reference;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtInt = (value: number): string => int.format(value);
const fmtMs = (value: number): string => value.toFixed(2);
const fmtRatio = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)}x`);

/** A fixed-width text table; the first column is left-aligned, the others right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function loadTable(runs: readonly RunFigures[], load: LoadName): string {
  const ofLoad = runs.filter((run) => run.load === load && run.workers === undefined);
  const reference = find(runs, baseline, load);
  const replyFromRun = find(runs, replyFrom, load);
  const direct = find(runs, 'direct', load);
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU vs dispatch', 'req/s vs dispatch', 'req/s vs reply-from', 'CPU vs reply-from'];
  if (load === 'paced') header.push('added p99 vs direct ms');
  header.push('errors');
  const rows = ofLoad.map((run) => {
    const isDirect = run.target === 'direct';
    const row = [
      run.label,
      fmtInt(run.requestsPerSecond),
      fmtMs(run.p50Ms),
      fmtMs(run.p99Ms),
      isDirect ? `(${fmtInt(run.cpuUsPerRequest)})` : fmtInt(run.cpuUsPerRequest),
      isDirect ? '-' : fmtRatio(ratio(run.cpuUsPerRequest, reference?.cpuUsPerRequest)),
      fmtRatio(ratio(run.requestsPerSecond, reference?.requestsPerSecond)),
      fmtRatio(ratio(run.requestsPerSecond, replyFromRun?.requestsPerSecond)),
      isDirect ? '-' : fmtRatio(ratio(run.cpuUsPerRequest, replyFromRun?.cpuUsPerRequest)),
    ];
    if (load === 'paced') row.push(isDirect || direct === undefined ? '-' : fmtMs(run.p99Ms - direct.p99Ms));
    row.push(load === 'paced' && run.late > 0 ? `${fmtInt(run.errors)} (${fmtInt(run.late)} late)` : fmtInt(run.errors));
    return row;
  });
  return textTable(header, rows);
}

export function clusterTable(runs: readonly RunFigures[]): string {
  const clustered = runs.filter((run) => run.workers !== undefined);
  const single = clustered.find((run) => run.workers === 1);
  const header = ['workers', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req (all workers)', 'req/s vs 1 worker', 'CPU/req vs 1 worker', 'errors'];
  const rows = clustered.map((run) => [
    String(run.workers),
    fmtInt(run.requestsPerSecond),
    fmtMs(run.p50Ms),
    fmtMs(run.p99Ms),
    fmtInt(run.cpuUsPerRequest),
    fmtRatio(ratio(run.requestsPerSecond, single?.requestsPerSecond)),
    fmtRatio(ratio(run.cpuUsPerRequest, single?.cpuUsPerRequest)),
    fmtInt(run.errors),
  ]);
  return textTable(header, rows);
}

/** The issue's goals for the front door, checked against this run's figures (undefined = not measured). */
export function goalChecks(runs: readonly RunFigures[], cores: number): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const reference = find(runs, baseline, 'saturation');
  const replyFromRun = find(runs, replyFrom, 'saturation');
  const directPaced = find(runs, 'direct', 'paced');
  const basePaced = find(runs, baseline, 'paced');
  for (const target of ['front-door', 'front-door-affinity']) {
    const saturated = find(runs, target, 'saturation');
    const paced = find(runs, target, 'paced');
    const cpu = ratio(saturated?.cpuUsPerRequest, reference?.cpuUsPerRequest);
    checks.push({ goal: `${target}: CPU/request within 10% of the bare dispatch proxy`, measured: fmtRatio(cpu), met: cpu === undefined ? undefined : cpu <= 1.1 });
    const throughput = ratio(saturated?.requestsPerSecond, replyFromRun?.requestsPerSecond);
    checks.push({ goal: `${target}: about 1.4x @fastify/reply-from's req/s`, measured: fmtRatio(throughput), met: throughput === undefined ? undefined : throughput >= 1.4 });
    const added = paced === undefined || directPaced === undefined ? undefined : paced.p99Ms - directPaced.p99Ms;
    const baselineAdded = basePaced === undefined || directPaced === undefined ? undefined : basePaced.p99Ms - directPaced.p99Ms;
    checks.push({
      goal: `${target}: at most 2.5 ms added to direct p99 at the paced load`,
      measured: added === undefined ? '-' : `${fmtMs(added)} ms${baselineAdded === undefined ? '' : ` (dispatch: ${fmtMs(baselineAdded)} ms)`}`,
      met: added === undefined ? undefined : added <= 2.5,
    });
  }
  const one = runs.find((run) => run.workers === 1);
  const two = runs.find((run) => run.workers === 2);
  const scaling = ratio(two?.requestsPerSecond, one?.requestsPerSecond);
  const cpuGrowth = ratio(two?.cpuUsPerRequest, one?.cpuUsPerRequest);
  // Two workers, wrk and the backend need four cores before throughput can double.
  const measurable = cores >= 4;
  checks.push({
    goal: `front door cluster: near-linear 1 to 2 workers${measurable ? '' : ` (needs 4 cores, here ${cores})`}`,
    measured: scaling === undefined ? '-' : `${fmtRatio(scaling)} req/s, ${fmtRatio(cpuGrowth)} CPU/req`,
    met: scaling === undefined || !measurable ? undefined : scaling >= 1.8,
  });
  return checks;
}

export function goalTable(checks: readonly GoalCheck[]): string {
  return textTable(
    ['goal', 'measured', 'met'],
    checks.map((check) => [check.goal, check.measured, check.met === undefined ? (check.measured === '-' ? 'not measured' : 'not judged') : check.met ? 'yes' : 'NO']),
  );
}
