/**
 * Benchmark of releases on the local platform, on the embedded stack `npm start` runs (Azurite on
 * disk, the control plane in the local host, its apps as local-host processes, the front door):
 *
 * - breaking release: time from `POST /admin/releases` to the first request routed to the new
 *   version through the front door — naming it (`x-app-version`), and naming no version (it is current);
 * - patch release: time from the POST to the first request answered by the patched code;
 * - drain: time from the last instance of a draining version completing to its drain monitor
 *   marking the version drained.
 *
 *   npm run bench:release -- [--breaking 5] [--patches 5] [--drain-poll-ms 5000]
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { request } from 'undici';
import { startEmbeddedStack, type EmbeddedStack } from '../../router/embedded/embedded-stack.js';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { repositoryRoot, sampleAppDir } from '../deployer/host/fixture-apps.js';

interface Options {
  readonly breaking: number;
  readonly patches: number;
  readonly drainPollMs: number;
  readonly help: boolean;
}

interface ReleaseSample {
  readonly version: string;
  /** POST → first answer naming the version (x-app-version: major.minor) from the new code. */
  readonly namedMs: number;
  /** POST → first answer naming no version from the new code (breaking releases: it became current). */
  readonly currentMs: number | undefined;
  /** POST → the release's status said succeeded. */
  readonly succeededMs: number;
  /** When each step was first seen, ms after the POST. */
  readonly steps: Readonly<Record<string, number>>;
}

interface DrainSample {
  readonly routeKey: string;
  /** Last instance completed (its lastUpdatedTime) → the version's drainedAt. */
  readonly noticedMs: number;
}

interface Summary {
  readonly count: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

const goals = { breakingMs: 3_000, patchMs: 1_500 } as const;
const probeIntervalMs = 10;
const statusIntervalMs = 50;
const releaseTimeoutMs = 120_000;

const usage = `Usage: npm run bench:release -- [options]

  --breaking <n>        breaking releases measured (default 5; env BENCH_BREAKING), after a first one (cold)
  --patches <n>         patch releases measured (default 5; env BENCH_PATCHES)
  --drain-poll-ms <ms>  the drain monitor's poll interval (default 5000, the router's default; env BENCH_DRAIN_POLL_MS)
  --help`;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      breaking: { type: 'string', default: process.env['BENCH_BREAKING'] ?? '5' },
      patches: { type: 'string', default: process.env['BENCH_PATCHES'] ?? '5' },
      'drain-poll-ms': { type: 'string', default: process.env['BENCH_DRAIN_POLL_MS'] ?? '5000' },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (flag: string, value: string, min: number): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
    return parsed;
  };
  return {
    breaking: whole('breaking', values.breaking, 1),
    patches: whole('patches', values.patches, 0),
    drainPollMs: whole('drain-poll-ms', values['drain-poll-ms'], 100),
    help: values.help,
  };
}

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return { count: sorted.length, medianMs: median, maxMs: sorted.at(-1) ?? Number.NaN };
}

class Bench {
  readonly #stack: EmbeddedStack;
  readonly #packagesDir: string;

  constructor(stack: EmbeddedStack, packagesDir: string) {
    this.#stack = stack;
    this.#packagesDir = packagesDir;
  }

  /** Releases `version` (staged from the sample app beforehand) and times it until its code answers. */
  async release(version: string, kind: 'breaking' | 'patch'): Promise<ReleaseSample> {
    const packageDir = path.join(this.#packagesDir, version);
    await stageAppAsVersion(sampleAppDir, packageDir, version);
    const routeKey = version.split('.').slice(0, 2).join('.');
    const postedAt = performance.now();
    const started = await this.#call('POST', '/admin/releases', { admin: true, json: { version, package: packageDir } });
    if (started.status !== 202) throw new Error(`the release of ${version} was refused: ${started.status} ${JSON.stringify(started.body)}`);
    const id = String(started.body['id']);
    const since = (): number => performance.now() - postedAt;
    const [named, current, status] = await Promise.all([
      this.#firstAnswerFrom(version, { 'x-app-version': routeKey }, since),
      kind === 'breaking' ? this.#firstAnswerFrom(version, {}, since) : Promise.resolve(undefined),
      this.#followStatus(id, since),
    ]);
    return { version, namedMs: named, currentMs: current, succeededMs: status.succeededMs, steps: status.steps };
  }

  /** Starts an order that waits for its approval on the current version. */
  async startWaitingOrder(orderId: string): Promise<void> {
    const started = await this.#call('POST', '/api/orders', { json: { orderId, customer: 'bench', items: [{ sku: 'piano', quantity: 1, unitPrice: 5000 }] } });
    if (started.status !== 202) throw new Error(`starting order ${orderId} answered ${started.status}: ${JSON.stringify(started.body)}`);
    await this.#until(`order ${orderId} waiting for approval`, 30_000, async () => {
      const status = await this.#call('GET', `/runtime/webhooks/durabletask/instances/${orderId}`);
      return (status.body['customStatus'] as { stage?: string } | null)?.stage === 'awaitingApproval';
    });
  }

  /**
   * Approves the last order of a draining version and measures how long after it completed its
   * drain monitor marked the version drained (both are timestamps the router records).
   */
  async drainAfterApproving(orderId: string, routeKey: string): Promise<DrainSample> {
    await this.#until(`${routeKey} draining`, 30_000, async () => (await this.#entry(routeKey))?.state === 'draining');
    const approved = await this.#call('POST', `/runtime/webhooks/durabletask/instances/${orderId}/raiseEvent/Approval`, { json: { approved: true, by: 'bench' } });
    if (approved.status !== 202) throw new Error(`approving ${orderId} answered ${approved.status}: ${JSON.stringify(approved.body)}`);
    let completedAt = Number.NaN;
    await this.#until(`order ${orderId} completed`, 30_000, async () => {
      const status = await this.#call('GET', `/runtime/webhooks/durabletask/instances/${orderId}`);
      if (status.body['runtimeStatus'] !== 'Completed') return false;
      completedAt = Date.parse(String(status.body['lastUpdatedTime']));
      return true;
    });
    let drainedAt = Number.NaN;
    await this.#until(`${routeKey} drained`, 120_000, async () => {
      const entry = await this.#entry(routeKey);
      if (typeof entry?.drainedAt !== 'string') return false;
      drainedAt = Date.parse(entry.drainedAt);
      return true;
    });
    return { routeKey, noticedMs: drainedAt - completedAt };
  }

  async #firstAnswerFrom(version: string, headers: Record<string, string>, since: () => number): Promise<number> {
    const deadline = performance.now() + releaseTimeoutMs;
    for (;;) {
      const answer = await this.#call('GET', '/api/version', { headers });
      if (answer.status === 200 && answer.body['version'] === version) return since();
      if (performance.now() > deadline) throw new Error(`${version} did not answer ${JSON.stringify(headers)} within ${releaseTimeoutMs} ms`);
      await sleep(probeIntervalMs);
    }
  }

  async #followStatus(id: string, since: () => number): Promise<{ succeededMs: number; steps: Record<string, number> }> {
    const steps: Record<string, number> = {};
    const deadline = performance.now() + releaseTimeoutMs;
    for (;;) {
      const answer = await this.#call('GET', `/admin/releases/${encodeURIComponent(id)}`, { admin: true });
      const state = answer.body['state'];
      const step = answer.body['step'];
      if (typeof step === 'string' && steps[step] === undefined) steps[step] = since();
      if (state === 'succeeded') return { succeededMs: since(), steps };
      if (state === 'failed') throw new Error(`release ${id} failed: ${JSON.stringify(answer.body['error'])}`);
      if (performance.now() > deadline) throw new Error(`release ${id} did not end within ${releaseTimeoutMs} ms`);
      await sleep(statusIntervalMs);
    }
  }

  async #entry(routeKey: string): Promise<{ state: string; drainedAt: string | null } | undefined> {
    const listing = await this.#call('GET', '/admin/versions', { admin: true });
    return (listing.body['versions'] as { routeKey: string; state: string; drainedAt: string | null }[]).find((entry) => entry.routeKey === routeKey);
  }

  async #until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async #call(method: 'GET' | 'POST', pathAndQuery: string, options: { admin?: boolean; json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await request(new URL(pathAndQuery, this.#stack.url), {
      method,
      headers: {
        ...options.headers,
        ...(options.admin === true ? { authorization: `Bearer ${this.#stack.adminKey}` } : {}),
        ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    });
    const text = await response.body.text();
    let body: Record<string, unknown>;
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { text: text.slice(0, 200) };
    }
    return { status: response.statusCode, body };
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : (ms / 1000).toFixed(2);
}

function printReleases(title: string, samples: readonly ReleaseSample[]): void {
  console.log(`\n${title}`);
  const header = ['version', 'named s', 'current s', 'succeeded s', 'steps (s after the POST)'];
  const rows = samples.map((sample) => [
    sample.version, seconds(sample.namedMs), seconds(sample.currentMs), seconds(sample.succeededMs),
    Object.entries(sample.steps).map(([step, at]) => `${step} ${seconds(at)}`).join(', '),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) console.log(`  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`);
}

function goalLine(what: string, summary: Summary, goalMs: number): string {
  const met = summary.maxMs < goalMs ? 'met' : summary.medianMs < goalMs ? 'met by the median, not by the max' : 'NOT met';
  return `${what}: median ${seconds(summary.medianMs)} s, max ${seconds(summary.maxMs)} s over ${summary.count} (goal < ${seconds(goalMs)} s): ${met}`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.help) {
    console.log(usage);
    return;
  }
  const dataDir = path.join(repositoryRoot, '.data', 'bench', `release-${randomUUID()}`);
  const packagesDir = path.join(dataDir, 'packages');
  await mkdir(packagesDir, { recursive: true });
  const logger = pino({ level: 'warn' }, pino.destination({ dest: path.join(dataDir, 'stack.log'), sync: false }));
  console.log(`Starting the embedded stack under ${path.relative(repositoryRoot, dataDir)} (drain poll ${options.drainPollMs} ms)...`);
  const stack = await startEmbeddedStack({
    dataDir, port: 0, keys: {}, storage: undefined, packageDirs: [packagesDir], backends: undefined, logger, drainPollMs: options.drainPollMs,
  });
  let failed = false;
  try {
    const bench = new Bench(stack, packagesDir);
    const cold = await bench.release('1.0.0', 'breaking');
    printReleases('First release (cold: the control plane\'s first orchestrations, the first app)', [cold]);

    const breaking: ReleaseSample[] = [];
    const drains: DrainSample[] = [];
    for (let minor = 1; minor <= options.breaking; minor++) {
      const orderId = `bench-wait-${minor}`;
      await bench.startWaitingOrder(orderId);
      breaking.push(await bench.release(`1.${minor}.0`, 'breaking'));
      drains.push(await bench.drainAfterApproving(orderId, `1.${minor - 1}`));
      console.log(`  breaking 1.${minor}.0: current after ${seconds(breaking.at(-1)?.currentMs)} s; 1.${minor - 1} drained ${seconds(drains.at(-1)?.noticedMs)} s after its last instance completed`);
    }
    printReleases('Breaking releases (a new app each; the previous version starts draining)', breaking);

    const patches: ReleaseSample[] = [];
    for (let patch = 1; patch <= options.patches; patch++) patches.push(await bench.release(`1.${options.breaking}.${patch}`, 'patch'));
    if (patches.length > 0) printReleases('Patch releases (redeployed onto the current app)', patches);

    const breakingSummary = summarize(breaking.map((sample) => sample.currentMs ?? Number.NaN));
    const namedSummary = summarize(breaking.map((sample) => sample.namedMs));
    const patchSummary = summarize(patches.map((sample) => sample.namedMs));
    const drainSummary = summarize(drains.map((sample) => sample.noticedMs));
    console.log('\nGoals');
    console.log(`  ${goalLine('breaking release, POST to serving as current', breakingSummary, goals.breakingMs)}`);
    console.log(`  (breaking release, POST to serving when named: median ${seconds(namedSummary.medianMs)} s, max ${seconds(namedSummary.maxMs)} s)`);
    if (patches.length > 0) console.log(`  ${goalLine('patch release, POST to the patched code answering', patchSummary, goals.patchMs)}`);
    console.log(`  ${goalLine('drain noticed after the last instance completed', drainSummary, options.drainPollMs)}`);
    console.log(JSON.stringify({ options, cold, breaking, patches, drains, summaries: { breaking: breakingSummary, breakingNamed: namedSummary, patch: patchSummary, drain: drainSummary }, goals }));
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await stack.stop();
    // Keep the stack's log to look at when something failed.
    if (!failed) await rm(dataDir, { recursive: true, force: true });
    else console.error(`The stack's data and log are kept under ${dataDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
