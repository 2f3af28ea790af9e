/**
 * Benchmark of the local Functions host's durable engine: one host process running a real app
 * against Azurite, orchestrations of a chain of three activities started through the durable
 * HTTP API, as a burst and at a paced rate. Reports completed orchestrations per second and
 * start-to-complete latency (request sent → CompletedTime in the Instances table).
 *
 *   npm run bench:host -- [--burst 1000] [--rate 20] [--duration 20]
 *   (BENCH_HOST_NODE_OPTIONS sets NODE_OPTIONS for the host process, e.g. to --require a profiler.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { odata } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { createTableClient } from '../../shared/storage/table-client-factory.js';
import { baseEnvironment, startHostProcess, type HostProcess } from '../deployer/host/e2e/host-process.js';
import { clockTicksPerSecond, cpuTicksFromStat, processTreeCpuTicks } from './measure/process-cpu.js';
import { repositoryRoot } from '../deployer/host/fixture-apps.js';

interface Options {
  readonly burst: number;
  readonly rate: number;
  readonly durationS: number;
}

interface RunResult {
  readonly name: string;
  readonly orchestrations: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time per orchestration of the host process and of Azurite (Linux /proc), if measurable. */
  readonly hostCpuMs?: number;
  readonly azuriteCpuMs?: number;
}

interface CpuSample {
  readonly host: number;
  readonly azurite: number;
}

/** CPU ticks of the host's process tree, and of everything else this process started (Azurite). */
function sampleCpu(host: HostProcess): CpuSample | undefined {
  if (process.platform !== 'linux' || host.child.pid === undefined) return undefined;
  const hostTicks = processTreeCpuTicks(host.child.pid);
  const own = cpuTicksFromStat(readFileSync('/proc/self/stat', 'utf8'));
  return { host: hostTicks, azurite: processTreeCpuTicks(process.pid) - own - hostTicks };
}

function cpuPerOrchestration(before: CpuSample | undefined, after: CpuSample | undefined, count: number): { hostCpuMs?: number; azuriteCpuMs?: number } {
  if (before === undefined || after === undefined) return {};
  const msPerTick = 1000 / clockTicksPerSecond();
  return { hostCpuMs: ((after.host - before.host) * msPerTick) / count, azuriteCpuMs: ((after.azurite - before.azurite) * msPerTick) / count };
}

const appDir = path.join(repositoryRoot, 'test', 'deployer', 'host', 'durable', 'fixtures', 'apps', 'durable-app');
const hubName = 'BenchHub';
const startConcurrency = 32;
const goals = { burstPerSecond: 100, pacedP99Ms: 1000 };

function parseOptions(): Options & { help: boolean } {
  const { values } = parseArgs({
    options: {
      burst: { type: 'string', default: process.env['BENCH_BURST'] ?? '1000' },
      rate: { type: 'string', default: process.env['BENCH_RATE'] ?? '20' },
      duration: { type: 'string', default: process.env['BENCH_DURATION'] ?? '20' },
      help: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive whole number, not "${value}"`);
    return parsed;
  };
  return {
    burst: number('burst', values.burst),
    rate: number('rate', values.rate),
    durationS: number('duration', values.duration),
    help: values.help,
  };
}

async function start(url: string, instanceId: string): Promise<void> {
  const response = await fetch(`${url}/runtime/webhooks/durabletask/orchestrators/chain3/${instanceId}`, { method: 'POST' });
  if (response.status !== 202) throw new Error(`Starting ${instanceId} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

/** Polls the Instances table until every instance with the prefix completed; answers their completion times. */
async function completions(azurite: RunningAzurite, prefix: string, count: number, timeoutMs: number): Promise<Map<string, number>> {
  const table = createTableClient(azurite.connectionString, `${hubName}Instances`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = new Map<string, number>();
    const filter = odata`PartitionKey ge ${prefix} and PartitionKey lt ${`${prefix}~`} and RuntimeStatus eq ${'Completed'}`;
    for await (const row of table.listEntities<{ CompletedTime?: Date }>({ queryOptions: { filter, select: ['PartitionKey', 'CompletedTime'] } })) {
      if (row.CompletedTime instanceof Date) done.set(row.partitionKey ?? '', row.CompletedTime.getTime());
    }
    if (done.size >= count) return done;
    if (Date.now() > deadline) throw new Error(`Only ${done.size} of ${count} orchestrations completed within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function summarize(name: string, sent: Map<string, number>, done: Map<string, number>): RunResult {
  const latencies = [...sent].map(([id, at]) => (done.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
  const first = Math.min(...sent.values());
  const last = Math.max(...done.values());
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
  return {
    name,
    orchestrations: sent.size,
    perSecond: sent.size / ((last - first) / 1000),
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}

async function burst(host: HostProcess, azurite: RunningAzurite, count: number): Promise<RunResult> {
  const cpuBefore = sampleCpu(host);
  const sent = new Map<string, number>();
  let next = 0;
  await Promise.all(Array.from({ length: startConcurrency }, async () => {
    while (next < count) {
      const id = `burst-${String(next++).padStart(6, '0')}`;
      sent.set(id, Date.now());
      await start(host.listening.url, id);
    }
  }));
  const done = await completions(azurite, 'burst-', count, 300_000);
  return { ...summarize(`burst of ${count}`, sent, done), ...cpuPerOrchestration(cpuBefore, sampleCpu(host), count) };
}

async function paced(host: HostProcess, azurite: RunningAzurite, rate: number, durationS: number): Promise<RunResult> {
  const count = rate * durationS;
  const cpuBefore = sampleCpu(host);
  const sent = new Map<string, number>();
  const began = Date.now();
  const starts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = `paced-${String(i).padStart(6, '0')}`;
    sent.set(id, Date.now());
    starts.push(start(host.listening.url, id));
  }
  await Promise.all(starts);
  const done = await completions(azurite, 'paced-', count, 120_000);
  return { ...summarize(`${rate}/s for ${durationS} s`, sent, done), ...cpuPerOrchestration(cpuBefore, sampleCpu(host), count) };
}

function report(results: readonly RunResult[]): void {
  const cpu = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));
  const rows = results.map((r) => [
    r.name, String(r.orchestrations), r.perSecond.toFixed(1), r.p50Ms.toFixed(0), r.p99Ms.toFixed(0), r.maxMs.toFixed(0), cpu(r.hostCpuMs), cpu(r.azuriteCpuMs),
  ]);
  const header = ['run', 'orchestrations', 'completed/s', 'p50 ms', 'p99 ms', 'max ms', 'host CPU ms/orch', 'Azurite CPU ms/orch'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.help) {
    console.log('Usage: npm run bench:host -- [--burst N (1000)] [--rate R per second (20)] [--duration S (20)]');
    return;
  }
  const azurite = await startAzurite({ inMemory: true });
  let host: HostProcess | undefined;
  try {
    host = await startHostProcess({
      appDir,
      env: {
        ...baseEnvironment(), AzureWebJobsStorage: azurite.connectionString, DURABLE_FIXTURE_HUB: hubName, LOG_LEVEL: 'warn',
        ...(process.env['BENCH_HOST_NODE_OPTIONS'] === undefined ? {} : { NODE_OPTIONS: process.env['BENCH_HOST_NODE_OPTIONS'] }),
      },
    });
    console.log(`Host ${host.listening.url}, task hub ${hubName}; warming up...`);
    const warm = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const id = `warmup-${String(i).padStart(6, '0')}`;
      warm.set(id, Date.now());
      await start(host.listening.url, id);
    }
    await completions(azurite, 'warmup-', warm.size, 60_000);

    const results = [await burst(host, azurite, options.burst), await paced(host, azurite, options.rate, options.durationS)];
    report(results);
    const [burstResult, pacedResult] = results as [RunResult, RunResult];
    const goalsMet = [
      `burst: ${burstResult.perSecond.toFixed(1)} completed/s (goal >= ${goals.burstPerSecond}) ${burstResult.perSecond >= goals.burstPerSecond ? 'met' : 'NOT met'}`,
      `paced: p99 ${pacedResult.p99Ms.toFixed(0)} ms (goal < ${goals.pacedP99Ms}) ${pacedResult.p99Ms < goals.pacedP99Ms ? 'met' : 'NOT met'}`,
    ];
    for (const goal of goalsMet) console.log(goal);
  } finally {
    if (host && host.child.exitCode === null) await host.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
