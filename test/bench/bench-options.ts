import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const targetNames = ['direct', 'dispatch', 'front-door', 'front-door-affinity', 'reply-from', 'nginx'] as const;
export type TargetName = (typeof targetNames)[number];

export interface BenchOptions {
  /** Whole seconds of each measured run (saturation and paced). */
  readonly durationS: number;
  /** Every target is measured once per round; rounds interleave targets so that noise hits all alike. */
  readonly rounds: number;
  /** Seconds of unmeasured load before a target's first measured run. */
  readonly warmupS: number;
  /** Requests per second the paced load holds. */
  readonly pacedRate: number;
  readonly connections: number;
  readonly pacedConnections: number;
  readonly targets: readonly TargetName[];
  readonly clusterWorkers: readonly number[];
  /** Directory for V8 CPU profiles of the Node targets (node --cpu-prof); undefined = no profiling. */
  readonly cpuProfileDir: string | undefined;
  readonly help: boolean;
}

const defaults = Object.freeze({ durationS: 4, rounds: 2, warmupS: 2, pacedRate: 5000, connections: 50, pacedConnections: 50 });
const quick = Object.freeze({ durationS: 2, rounds: 1, warmupS: 1 });

export const benchUsage = `Usage: npm run bench:proxy -- [options]

  --duration <s>           seconds per measured run (default ${defaults.durationS}; env BENCH_DURATION)
  --rounds <n>             rounds; each measures every target once (default ${defaults.rounds}; env BENCH_ROUNDS)
  --warmup <s>             seconds of warm-up per target (default ${defaults.warmupS}; env BENCH_WARMUP)
  --quick                  ${quick.rounds} round of ${quick.durationS} s runs, ${quick.warmupS} s warm-ups (env BENCH_QUICK=1)
  --rate <req/s>           paced load rate (default ${defaults.pacedRate}; env BENCH_RATE)
  --connections <n>        connections at saturation (default ${defaults.connections})
  --paced-connections <n>  connections at the paced load (default ${defaults.pacedConnections})
  --only <a,b,...>         targets to run, among: ${targetNames.join(', ')}
  --cluster <n,m,...>      front door cluster sizes at saturation (default 1,2; "none" to skip)
  --cpu-prof <dir>         write a V8 CPU profile of each Node target into <dir> and print its
                           hottest functions (profiling slows the targets: use it on its own)
  --help

Environment: BENCH_NGINX=<path to nginx> to use another nginx, BENCH_NGINX=none to run without it.`;

/** Flags win over environment variables, which win over defaults; every value is checked once. */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      'paced-connections': { type: 'string' },
      only: { type: 'string' },
      cluster: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const isQuick = values.quick === true || env.BENCH_QUICK === '1';
  const base = isQuick ? { ...defaults, ...quick } : defaults;
  const options: BenchOptions = {
    durationS: positiveInteger('--duration', values.duration ?? env.BENCH_DURATION, base.durationS),
    rounds: positiveInteger('--rounds', values.rounds ?? env.BENCH_ROUNDS, base.rounds),
    warmupS: nonNegativeInteger('--warmup', values.warmup ?? env.BENCH_WARMUP, base.warmupS),
    pacedRate: positiveInteger('--rate', values.rate ?? env.BENCH_RATE, base.pacedRate),
    connections: positiveInteger('--connections', values.connections, base.connections),
    pacedConnections: positiveInteger('--paced-connections', values['paced-connections'], base.pacedConnections),
    targets: parseTargets(values.only),
    clusterWorkers: parseClusterSizes(values.cluster),
    cpuProfileDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    help: values.help === true,
  };
  return Object.freeze(options);
}

function parseTargets(raw: string | undefined): readonly TargetName[] {
  if (raw === undefined) return targetNames;
  const wanted = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of wanted) {
    if (!(targetNames as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown target "${name}"; choose among ${targetNames.join(', ')}`);
    }
  }
  return targetNames.filter((name) => wanted.includes(name));
}

function parseClusterSizes(raw: string | undefined): readonly number[] {
  if (raw === undefined) return [1, 2];
  if (raw === 'none') return [];
  return raw.split(',').map((size) => positiveInteger('--cluster', size.trim(), 0));
}

// wrk takes whole seconds only.
function nonNegativeInteger(flag: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be zero or a positive integer, got "${raw}"`);
  return value;
}

function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} must be a positive integer, got "${raw}"`);
  return value;
}
