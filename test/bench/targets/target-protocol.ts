/** What the bench passes to a forked target (env BENCH_TARGET_CONFIG) and what the target answers. */
export interface TargetConfig {
  /** Origin of the backend the proxies forward to, e.g. "http://127.0.0.1:41234". */
  readonly backendUrl: string;
  /** Upstream keep-alive connections a proxy may hold. */
  readonly upstreamConnections: number;
  /** Front door only: cluster workers (0 = no cluster, the server runs in the forked process). */
  readonly workers: number;
  /** Front door only: when set, a tracking store that knows this instance's owner (affinity runs). */
  readonly instanceId?: string | undefined;
}

export type TargetMessage = { readonly type: 'listening'; readonly port: number };

export function readTargetConfig(): TargetConfig {
  const raw = process.env.BENCH_TARGET_CONFIG;
  if (raw === undefined) throw new Error('BENCH_TARGET_CONFIG is not set: targets are started by test/bench/proxy-bench.ts');
  return JSON.parse(raw) as TargetConfig;
}

export function announceListening(port: number): void {
  const message: TargetMessage = { type: 'listening', port };
  if (process.send === undefined) throw new Error('a target must be forked with an IPC channel');
  process.send(message);
}

/** SIGTERM ends the process through process.exit, so that node --cpu-prof writes its profile. */
export function exitNormallyOnSigterm(): void {
  process.once('SIGTERM', () => process.exit(0));
}
