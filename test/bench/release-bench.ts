/**
 * Benchmark of releases on the embedded stack `npm start` runs (Azurite on disk, the control plane
 * in the local host, the front door), with its apps on the local platform (local-host processes),
 * or with `--platform azure` on Azure as a fake ARM plays it (its sites are local-host processes
 * behind HTTPS; its long-running operations take `--arm-latency-ms`):
 *
 * - breaking release: time from `POST /admin/releases` to the first request routed to the new
 *   version through the front door — naming it (`x-app-version`), and naming no version (it is current);
 * - patch release: time from the POST to the first request answered by the patched code;
 * - drain: time from the last instance of a draining version completing to its drain monitor
 *   marking the version drained.
 *
 * - on Azure also: the ARM calls each breaking and each patch release makes, and the time the
 *   router itself adds beyond the operations' own latency (the release's wall time minus the time
 *   the fake ARM was busy: answering, running a long-running operation, deploying).
 *
 *   npm run bench:release -- [--platform local|azure] [--breaking 5] [--patches 5] [--drain-poll-ms 5000]
 *                            [--arm-latency-ms 1000] [--poll-ms 2000]
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
import { startFakeArm, type FakeArm } from '../fakes/azure-arm/fake-arm.js';

interface Options {
  readonly platform: 'local' | 'azure';
  readonly armLatencyMs: number;
  /** ROUTER_AZURE_POLL_MS; undefined: the Azure platform's default. */
  readonly pollMs: number | undefined;
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
  /** Azure: what the release asked of ARM between the POST and its success. */
  readonly arm?: ArmUse;
}

interface ArmUse {
  readonly calls: number;
  readonly byOperation: Readonly<Record<string, number>>;
  /** How long the fake ARM was busy on this release's operations. */
  readonly busyMs: number;
  /** The release's wall time (POST to succeeded) minus busyMs. */
  readonly routerMs: number;
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
  --platform <p>        local (default) or azure (a fake ARM whose sites really run)
  --arm-latency-ms <ms> azure: how long the fake's long-running operations take (default 1000)
  --poll-ms <ms>        azure: ROUTER_AZURE_POLL_MS, how often the router polls them (default: the router's, 2000)
  --help`;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      breaking: { type: 'string', default: process.env['BENCH_BREAKING'] ?? '5' },
      patches: { type: 'string', default: process.env['BENCH_PATCHES'] ?? '5' },
      'drain-poll-ms': { type: 'string', default: process.env['BENCH_DRAIN_POLL_MS'] ?? '5000' },
      platform: { type: 'string', default: 'local' },
      'arm-latency-ms': { type: 'string', default: '1000' },
      'poll-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (flag: string, value: string, min: number): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
    return parsed;
  };
  if (values.platform !== 'local' && values.platform !== 'azure') throw new Error(`--platform must be local or azure, not "${values.platform}"`);
  return {
    platform: values.platform,
    armLatencyMs: whole('arm-latency-ms', values['arm-latency-ms'], 0),
    pollMs: values['poll-ms'] === undefined ? undefined : whole('poll-ms', values['poll-ms'], 1),
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
  readonly #fake: FakeArm | undefined;

  constructor(stack: EmbeddedStack, packagesDir: string, fake: FakeArm | undefined) {
    this.#stack = stack;
    this.#packagesDir = packagesDir;
    this.#fake = fake;
  }

  /** Releases `version` (staged from the sample app beforehand) and times it until its code answers. */
  async release(version: string, kind: 'breaking' | 'patch'): Promise<ReleaseSample> {
    const packageDir = path.join(this.#packagesDir, version);
    await stageAppAsVersion(sampleAppDir, packageDir, version);
    const routeKey = version.split('.').slice(0, 2).join('.');
    const postedAt = performance.now();
    const postedAtEpoch = Date.now();
    const firstCall = this.#fake?.calls.length ?? 0;
    const started = await this.#call('POST', '/admin/releases', { admin: true, json: { version, package: packageDir } });
    if (started.status !== 202) throw new Error(`the release of ${version} was refused: ${started.status} ${JSON.stringify(started.body)}`);
    const id = String(started.body['id']);
    const since = (): number => performance.now() - postedAt;
    const [named, current, status] = await Promise.all([
      this.#firstAnswerFrom(version, { 'x-app-version': routeKey }, since),
      kind === 'breaking' ? this.#firstAnswerFrom(version, {}, since) : Promise.resolve(undefined),
      this.#followStatus(id, since),
    ]);
    const fake = this.#fake;
    if (fake === undefined) return { version, namedMs: named, currentMs: current, succeededMs: status.succeededMs, steps: status.steps };
    // Calls about other apps (a superseded version being decommissioned meanwhile) are not this release's.
    const ownPath = new RegExp(`/(sites|serverfarms)/${status.app}(/|$)`, 'i');
    const calls = fake.calls.slice(firstCall).filter((call) => call.startedAt <= postedAtEpoch + status.succeededMs
      && (!/\/(sites|serverfarms)\//i.test(call.path) || ownPath.test(call.path)));
    const byOperation: Record<string, number> = {};
    for (const call of calls) byOperation[call.operationId] = (byOperation[call.operationId] ?? 0) + 1;
    const busyMs = fake.busyMsBetween(postedAtEpoch, postedAtEpoch + status.succeededMs);
    const arm: ArmUse = { calls: calls.length, byOperation, busyMs, routerMs: status.succeededMs - busyMs };
    return { version, namedMs: named, currentMs: current, succeededMs: status.succeededMs, steps: status.steps, arm };
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

  async #followStatus(id: string, since: () => number): Promise<{ succeededMs: number; steps: Record<string, number>; app: string }> {
    const steps: Record<string, number> = {};
    const deadline = performance.now() + releaseTimeoutMs;
    for (;;) {
      const answer = await this.#call('GET', `/admin/releases/${encodeURIComponent(id)}`, { admin: true });
      const state = answer.body['state'];
      const step = answer.body['step'];
      if (typeof step === 'string' && steps[step] === undefined) steps[step] = since();
      if (state === 'succeeded') return { succeededMs: since(), steps, app: String(answer.body['app']) };
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
        ...(pathAndQuery.startsWith('/runtime/webhooks/durabletask/') ? { 'x-functions-key': this.#stack.routerKeys.durableApi } : {}),
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

function printArmUse(breaking: readonly ReleaseSample[], patches: readonly ReleaseSample[]): void {
  console.log('\nAzure Resource Manager (the fake), per release');
  for (const [kind, samples] of [['breaking', breaking], ['patch', patches]] as const) {
    const uses = samples.map((sample) => sample.arm).filter((use): use is ArmUse => use !== undefined);
    if (uses.length === 0) continue;
    const calls = summarize(uses.map((use) => use.calls));
    const busy = summarize(uses.map((use) => use.busyMs));
    const router = summarize(uses.map((use) => use.routerMs));
    const wall = summarize(samples.map((sample) => sample.succeededMs));
    console.log(`  ${kind}: ${calls.medianMs} ARM calls (median; max ${calls.maxMs}); wall ${seconds(wall.medianMs)} s = ARM busy ${seconds(busy.medianMs)} s + router ${seconds(router.medianMs)} s (medians; router max ${seconds(router.maxMs)} s)`);
    const last = uses.at(-1) as ArmUse;
    console.log(`    calls of the last one: ${Object.entries(last.byOperation).sort(([a], [b]) => a.localeCompare(b)).map(([operation, count]) => `${operation} ${count}`).join(', ')}`);
  }
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
  console.log(`Starting the embedded stack on the ${options.platform} platform under ${path.relative(repositoryRoot, dataDir)} (drain poll ${options.drainPollMs} ms)...`);
  const fake = options.platform === 'azure' ? await startFakeArm({ dataDir: path.join(dataDir, 'fake-arm'), lroDelayMs: options.armLatencyMs }) : undefined;
  if (fake !== undefined) console.log(`  the fake ARM's long-running operations take ${options.armLatencyMs} ms; the router polls them every ${options.pollMs ?? 'default (2000)'} ms`);
  const stack = await startEmbeddedStack({
    dataDir, port: 0, keys: {}, storage: undefined, packageDirs: [packagesDir], backends: undefined, logger, drainPollMs: options.drainPollMs,
    ...(fake === undefined ? {} : {
      platform: {
        kind: 'azure',
        environment: {
          AZURE_SUBSCRIPTION_ID: fake.subscriptionId, ROUTER_RESOURCE_GROUP: 'rg-bench', ROUTER_LOCATION: 'westeurope',
          ROUTER_AZURE_ARM_ENDPOINT: fake.endpoint, ROUTER_AZURE_ARM_TOKEN: fake.token,
          ...(options.pollMs === undefined ? {} : { ROUTER_AZURE_POLL_MS: String(options.pollMs) }),
        },
      },
    }),
  });
  let failed = false;
  try {
    const bench = new Bench(stack, packagesDir, fake);
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
    if (fake !== undefined) console.log('\n(The goals below are the local platform\'s; on Azure the operations\' own latency comes first: see the last section.)');
    const namedSummary = summarize(breaking.map((sample) => sample.namedMs));
    const patchSummary = summarize(patches.map((sample) => sample.namedMs));
    const drainSummary = summarize(drains.map((sample) => sample.noticedMs));
    console.log('\nGoals');
    console.log(`  ${goalLine('breaking release, POST to serving as current', breakingSummary, goals.breakingMs)}`);
    console.log(`  (breaking release, POST to serving when named: median ${seconds(namedSummary.medianMs)} s, max ${seconds(namedSummary.maxMs)} s)`);
    if (patches.length > 0) console.log(`  ${goalLine('patch release, POST to the patched code answering', patchSummary, goals.patchMs)}`);
    console.log(`  ${goalLine('drain noticed after the last instance completed', drainSummary, options.drainPollMs)}`);
    if (fake !== undefined) printArmUse(breaking, patches);
    console.log(JSON.stringify({ options, cold, breaking, patches, drains, summaries: { breaking: breakingSummary, breakingNamed: namedSummary, patch: patchSummary, drain: drainSummary }, goals }));
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await stack.stop();
    await fake?.stop();
    // Keep the stack's log to look at when something failed.
    if (!failed) await rm(dataDir, { recursive: true, force: true });
    else console.error(`The stack's data and log are kept under ${dataDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
