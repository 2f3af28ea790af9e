import { testRouterKeys } from '../fixtures/router-keys.js';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchUsage, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { errorCount, prepareWrk, requireWrk, type WrkResult } from './load/wrk.js';
import { hottestFrames, type CpuProfile } from './measure/cpu-profile-summary.js';
import { clockTicksPerSecond, processTreeCpuTicks } from './measure/process-cpu.js';
import { findNginx, nginxInstallHint, startNginx, type NginxInstallation } from './nginx/nginx-process.js';
import {
  aggregateRounds, clusterTable, goalChecks, goalTable, loadTable,
  type LoadName, type RoundSample, type RunFigures, type UnavailableTarget,
} from './report/bench-report.js';
import { startNodeTarget, type RunningTarget } from './targets/target-process.js';
import type { TargetConfig } from './targets/target-protocol.js';


/** A target as measured: what to request of it and how to start it. */
interface TargetSpec {
  readonly name: string;
  readonly label: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Cluster runs only; they are measured at saturation only. */
  readonly workers?: number | undefined;
  /** Undefined for `direct`: the backend itself is the target. */
  readonly start: (() => Promise<RunningTarget>) | undefined;
}

interface StartedTarget {
  readonly spec: TargetSpec;
  readonly process: RunningTarget;
  readonly samples: Record<LoadName, RoundSample[]>;
}

const versionHeader = { 'x-app-version': '1.0' };
const instanceId = 'bench-instance-0001';
const upstreamConnections = 64;
const benchPath = '/api/bench';

/** Everything started, so that every exit path stops it. */
const running = new Set<RunningTarget>();

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(benchUsage);
    return;
  }
  const wrkVersion = requireWrk();
  const nginx = findNginx(process.env.BENCH_NGINX);
  const dir = await mkdtemp(join(tmpdir(), 'durable-router-bench-'));
  const stopEverything = async (): Promise<void> => {
    await Promise.all([...running].map((target) => target.stop()));
    running.clear();
    await rm(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopEverything().finally(() => process.exit(130)));
  }
  try {
    await runBench(options, dir, wrkVersion, nginx);
  } finally {
    await stopEverything();
  }
}

async function runBench(options: BenchOptions, dir: string, wrkVersion: string, nginx: NginxInstallation | undefined): Promise<void> {
  const ticksPerSecond = clockTicksPerSecond();
  const runWrk = await prepareWrk(dir, options.pacedRate);
  const backendConfig: TargetConfig = { backendUrl: '', upstreamConnections, workers: 0 };
  const backend = track(nginx ? await startNginx(nginx, dir, { kind: 'static-backend' }) : await startNodeTarget('node-backend', backendConfig));
  const backendKind = nginx ? `static nginx ${nginx.version} (return 200 "ok", 1 worker)` : 'node:http (nginx not installed)';
  const config: TargetConfig = { ...backendConfig, backendUrl: `http://127.0.0.1:${backend.port}` };
  const cpu = cpus();
  const started = new Date();

  console.log('durable-router proxy bench');
  console.log(`  machine   ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  tools     node ${process.version}; ${wrkVersion}; nginx ${nginx?.version ?? 'not installed'}`);
  console.log(`  backend   ${backendKind} on ${config.backendUrl}`);
  console.log(`  loads     saturation: wrk -t1 -c${options.connections} -d${options.durationS}s, after a ${options.warmupS}s warm-up of each target`);
  console.log(`            paced: ${options.pacedRate} req/s over ${options.pacedConnections} connections for ${options.durationS}s (wrk, Lua delay() schedule)`);
  console.log(`  rounds    ${options.rounds}, each measuring every target in turn`);
  if (!nginx) console.log(`  nginx not found (or BENCH_NGINX=none): the nginx target is skipped and the backend is node:http; to include it, ${nginxInstallHint}`);
  console.log('');

  if (options.cpuProfileDir !== undefined) await mkdir(options.cpuProfileDir, { recursive: true });
  const earlierProfiles = new Set(options.cpuProfileDir === undefined ? [] : await readdir(options.cpuProfileDir));
  const unavailable: UnavailableTarget[] = [];
  const targets: StartedTarget[] = [];
  for (const spec of targetSpecs(options, config, nginx, dir)) {
    try {
      const target = spec.start === undefined ? backend : track(await spec.start());
      await probe(target.port, spec);
      targets.push({ spec, process: target, samples: { saturation: [], paced: [] } });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      unavailable.push({ target: spec.name, label: spec.label, reason });
      console.log(`  ${spec.label.padEnd(36)} unavailable: ${reason.split('\n')[0]}`);
    }
  }

  const load = (target: StartedTarget, loadName: LoadName, durationS: number): Promise<WrkResult> => {
    const paced = loadName === 'paced';
    return runWrk({
      url: `http://127.0.0.1:${target.process.port}${target.spec.path}`,
      headers: target.spec.headers,
      connections: paced ? options.pacedConnections : options.connections,
      durationS,
      pacedRate: paced ? options.pacedRate : undefined,
    });
  };

  const measure = async (target: StartedTarget, loadName: LoadName): Promise<void> => {
    const before = processTreeCpuTicks(target.process.pid);
    const backendBefore = processTreeCpuTicks(backend.pid);
    const result = await load(target, loadName, options.durationS);
    const cpuUs = ((processTreeCpuTicks(target.process.pid) - before) * 1_000_000) / ticksPerSecond;
    const backendCpuUs = ((processTreeCpuTicks(backend.pid) - backendBefore) * 1_000_000) / ticksPerSecond;
    const sample: RoundSample = {
      requests: result.requests,
      durationUs: result.durationUs,
      p50Us: result.latencyUs.p50,
      p99Us: result.latencyUs.p99,
      cpuUs,
      backendCpuUs,
      errors: errorCount(result),
      late: result.late,
    };
    target.samples[loadName].push(sample);
    const rate = (sample.requests * 1_000_000) / Math.max(sample.durationUs, 1);
    console.log(
      `  ${target.spec.label.padEnd(36)} ${loadName.padEnd(10)} ${Math.round(rate).toString().padStart(7)} req/s  ` +
        `p50 ${(sample.p50Us / 1000).toFixed(2)} ms  p99 ${(sample.p99Us / 1000).toFixed(2)} ms  ` +
        `${Math.round(cpuUs / Math.max(sample.requests, 1))} µs CPU/req${sample.errors > 0 ? `  ${sample.errors} errors` : ''}`,
    );
    // Let the target's garbage collector and sockets settle before the next run.
    await sleep(300);
  };

  if (options.warmupS > 0) {
    for (const target of targets) await load(target, 'saturation', options.warmupS);
  }
  const single = targets.filter((target) => target.spec.workers === undefined);
  const clustered = targets.filter((target) => target.spec.workers !== undefined);
  for (let round = 0; round < options.rounds; round++) {
    console.log(`round ${round + 1} of ${options.rounds}`);
    // Each round starts one target further on, so no target always follows the same neighbour.
    for (const target of rotate(single, round)) await measure(target, 'saturation');
    for (const target of rotate(clustered, round)) await measure(target, 'saturation');
    for (const target of rotate(single, round)) await measure(target, 'paced');
  }
  for (const target of targets) {
    if (target.process !== backend) await untrack(target.process);
  }
  if (options.cpuProfileDir !== undefined) await printProfiles(options.cpuProfileDir, earlierProfiles, targets);

  const runs: RunFigures[] = [];
  for (const target of targets) {
    for (const loadName of ['saturation', 'paced'] as const) {
      const samples = target.samples[loadName];
      if (samples.length === 0) continue;
      runs.push(aggregateRounds({ target: target.spec.name, label: target.spec.label, load: loadName, workers: target.spec.workers }, samples));
    }
  }

  console.log(`\nSaturation (wrk -t1 -c${options.connections}); CPU is the proxy's own (direct: the backend's, in parentheses)\n`);
  console.log(loadTable(runs, 'saturation'));
  console.log(`\nPaced at ${options.pacedRate} req/s (${options.pacedConnections} connections)\n`);
  console.log(loadTable(runs, 'paced'));
  if (clustered.length > 0) {
    console.log('\nFront door cluster at saturation (CPU summed over the primary and its workers)\n');
    console.log(clusterTable(runs));
  }
  const goals = goalChecks(runs, cpu.length);
  console.log('\nGoals (issue 2)\n');
  console.log(goalTable(goals));
  for (const missing of unavailable) console.log(`\n${missing.label} was not measured: ${readableReason(missing.reason)}`);
  console.log(`\nload average now ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine makes the figures noisy)\n`);
  console.log(
    JSON.stringify({
      bench: 'proxy',
      startedAt: started.toISOString(),
      machine: { cpus: cpu.length, model: cpu[0]?.model, loadAverageAtEnd: loadavg() },
      versions: { node: process.version, wrk: wrkVersion, nginx: nginx?.version ?? null },
      backend: backendKind,
      options,
      runs,
      rounds: targets.map((target) => ({ target: target.spec.name, workers: target.spec.workers, ...target.samples })),
      unavailable,
      goals,
    }),
  );
}

function targetSpecs(options: BenchOptions, config: TargetConfig, nginx: NginxInstallation | undefined, dir: string): TargetSpec[] {
  const node = (entry: string, target: TargetConfig): Promise<RunningTarget> =>
    startNodeTarget(entry, target, options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]);
  const all: (TargetSpec & { readonly name: BenchOptions['targets'][number] })[] = [
    { name: 'direct', label: '(a) direct to the backend', path: benchPath, headers: {}, start: undefined },
    { name: 'dispatch', label: '(e) node:http + undici dispatch', path: benchPath, headers: {}, start: () => node('dispatch-proxy', config) },
    {
      name: 'front-door',
      label: '(b) front door, version header',
      path: benchPath,
      headers: versionHeader,
      start: () => node('front-door-target', config),
    },
    {
      name: 'front-door-affinity',
      label: '(b) front door, instance affinity',
      path: `/runtime/webhooks/durabletask/instances/${instanceId}`,
      // A client of the durable API presents the router's durable key.
      headers: { 'x-functions-key': testRouterKeys.durableApi },
      start: () => node('front-door-target', { ...config, instanceId }),
    },
    { name: 'reply-from', label: '(c) @fastify/reply-from', path: benchPath, headers: {}, start: () => node('reply-from-proxy', config) },
    {
      name: 'nginx',
      label: '(d) nginx proxy_pass, keepalive',
      path: benchPath,
      headers: {},
      start: () => {
        if (nginx === undefined) return Promise.reject(new Error(`nginx is not installed; ${nginxInstallHint}`));
        return startNginx(nginx, dir, { kind: 'proxy', upstreamPort: Number(new URL(config.backendUrl).port) });
      },
    },
  ];
  const chosen: TargetSpec[] = all.filter((spec) => options.targets.includes(spec.name));
  if (options.targets.includes('front-door')) {
    for (const workers of options.clusterWorkers) {
      chosen.push({
        name: 'front-door-cluster',
        label: `(b) front door, cluster of ${workers}`,
        path: benchPath,
        headers: versionHeader,
        workers,
        start: () => node('front-door-target', { ...config, workers }),
      });
    }
  }
  return chosen;
}

/** The hottest functions of each profile written during this run, named by target where known. */
async function printProfiles(dir: string, earlier: ReadonlySet<string>, targets: readonly StartedTarget[]): Promise<void> {
  const labels = new Map(targets.map((target) => [target.process.pid, target.spec.label]));
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile') && !earlier.has(file));
  for (const file of files) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const frames = hottestFrames(profile, process.cwd(), 15);
    if (frames.length === 0) continue;
    console.log(`\nCPU profile ${join(dir, file)}: ${labels.get(pid) ?? `pid ${pid} (a cluster primary or worker)`}; self time, share of busy time`);
    for (const frame of frames) console.log(`  ${(frame.selfShare * 100).toFixed(1).padStart(5)}%  ${frame.selfMs.toFixed(0).padStart(6)} ms  ${frame.frame}`);
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** One request before any load, on its own connection: the target must answer 200 through to the backend. */
function probe(port: number, spec: { path: string; headers: Readonly<Record<string, string>> }): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: spec.path, headers: spec.headers, agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`probe GET ${spec.path} answered ${response.statusCode}: ${body.slice(0, 300)}`)),
      );
      response.once('error', reject);
    });
    request.once('timeout', () => request.destroy(new Error(`probe GET ${spec.path} got no answer within 5 s`)));
    request.once('error', reject);
  });
}

/** A child's stack trace without its frames: the lines that say what went wrong. */
function readableReason(reason: string): string {
  return reason
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line) && !/^\s*\^$/.test(line))
    .join('\n  ');
}

function track(target: RunningTarget): RunningTarget {
  running.add(target);
  return target;
}

async function untrack(target: RunningTarget): Promise<void> {
  running.delete(target);
  await target.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
