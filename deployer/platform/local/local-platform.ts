/**
 * The local platform: each Function App is a process of the local Functions host, with its own
 * folder `<root>/apps/<name>/` holding `app.json` (its record: tags, settings, port, deployed
 * package) and `site/<deployment>/` (the deployed code the process runs).
 *
 * - Records outlive the processes: a new LocalPlatform over the same root lists the same apps and
 *   `resume()` restarts them on the same ports (their URLs are in the version map).
 * - An app process gets only its settings (plus PATH, HOME, ...) as environment, like an app on
 *   Azure, and exits with its parent (the host's --exit-with-stdin), so no app outlives the router.
 * - Every app enforces its host's keys, as on Azure: they live in `<root>/apps/<name>/secrets/`
 *   (made at provision), shared by the processes of a deploy's overlap; `keys`, `hostSecrets` and
 *   `setHostSecret` read and change them, and a running app applies a change within a second.
 * - Zero downtime: the platform holds each app's port (an AppListener) and hands every connection
 *   to the app's current process. A deploy (or a change of settings) starts the new process while
 *   the old one serves; once the new one is ready, new connections go to it, and the old one
 *   drains: it answers what still arrives on its open connections with `Connection: close`, waits
 *   (at most `drainTimeoutMs`) for clients to close them, stops its durable engine and exits. The
 *   durable work moves without a gap: only the holder of the task hub's lease works the hub
 *   (durable/ownership/ in the host), and the new process's engine starts as soon as it serves, asks
 *   the old one for the lease, and gets it once the old one has finished the work it was running
 *   (a few seconds at most); the old one then serves what its clients still send as a non-owner.
 *   The deploy resolves once the new engine owns the hub and the old process has exited; if the new
 *   engine does not get the hub within `handoverTimeoutMs`, the deploy fails (APP_START_FAILED,
 *   reason `task-hub-not-taken`) and the old process goes on serving. If the new code does not
 *   start, the old process never stopped serving. Apps on the host's embedded Azurite cannot run
 *   twice (its folder is the app's): for them the old process stops first and new connections wait
 *   at the port until the new one is ready.
 * - Dependencies: the code runs from `site/<deployment>/`, so `@azure/functions` and
 *   `durable-functions` must resolve from there: a package may ship its node_modules, otherwise Node
 *   looks in the folders above, so keep the root under the project (the default `.data/platform`)
 *   whose node_modules has them.
 * - Supervision: a process that ends on its own (a crash, a kill) is started again on the same
 *   port and data, at once after one that ran a while, with a doubling delay after one that died
 *   soon after starting; after `maxQuickCrashes` of those in a row the platform gives up and closes
 *   the port. Meanwhile the record (`down`) and `health` say since when and why (exit code or
 *   signal). Connections wait at the port while a restart is coming. A process the platform stops
 *   itself (a deploy's handover, `delete`, `stop`) is never restarted.
 * - One LocalPlatform per root at a time: operations on one app are serialised in this process,
 *   not across processes.
 */
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { resolvePackageLimits, type PackageLimits } from '../package/package-limits.js';
import { isLocalOnlyPath } from '../package/package-paths.js';
import { unpackPackage } from '../package/package-unpacking.js';
import { assertAppName, assertProvisionRequest, assertSettings } from '../platform-input.js';
import {
  defaultFunctionKeyName, durableTaskSystemKeyName, ensureHostSecrets, readHostSecrets, writeHostSecrets, type HostSecrets,
} from '../../host/keys/host-secrets.js';
import type { AppHealth, AppKeys, AppSettings, DeploymentPackage, Platform, PlatformApp, ProvisionRequest } from '../platform.js';
import { AppListener } from './app-listener.js';
import { readAppRecord, runningRecord, writeAppRecord, type LocalAppRecord } from './app-record.js';
import { CrashRestarts, defaultCrashRestartPolicy, type CrashDecision, type CrashRestartPolicy } from './crash-restarts.js';
import { probeHost } from './host-health-probe.js';
import { describeExit, startLocalAppProcess, type LocalAppProcess, type ProcessExit } from './local-app-process.js';
import { allocatePort, type PortRange } from './port-allocation.js';
import { codePath, newDeploymentFolder, recoverSite, removeDeployment, removeOtherDeployments } from './site-directories.js';

export interface LocalPlatformOptions {
  /** Where apps live, e.g. `.data/platform` (see the note on dependencies above). */
  readonly root: string;
  /** Which router owns the apps this platform lists and may change (default `default`). */
  readonly owner?: string;
  /** Ports for new apps (default: whatever free port the system picks). */
  readonly ports?: PortRange;
  /** How long an app may take to start (default 60 s). */
  readonly startTimeoutMs?: number;
  /** How long one health probe may take (default 2 s). */
  readonly probeTimeoutMs?: number;
  /** How long to wait for an app's port to be released by a process still exiting (default 15 s). */
  readonly portReleaseTimeoutMs?: number;
  /** How long a replaced process waits for its clients to close their connections (default 10 s). */
  readonly drainTimeoutMs?: number;
  /** How long a new process's durable engine may take to get the task hub from the process it replaces (default 30 s). */
  readonly handoverTimeoutMs?: number;
  readonly packageLimits?: Partial<PackageLimits>;
  /** When a crashed app process is started again (see crash-restarts.ts; tests shorten it). */
  readonly crashRestarts?: Partial<CrashRestartPolicy>;
  /** The platform's own events (start, stop, exits); default: silent. */
  readonly logger?: Logger;
  /** Every line an app's host logs, e.g. to show it with the app's name. */
  readonly onAppLog?: (appName: string, line: string) => void;
}

export interface ResumeReport {
  readonly started: readonly string[];
  readonly failed: readonly { readonly appName: string; readonly error: RouterError }[];
}

/** What runs an app: its port, held here, and the process its new connections go to. */
interface AppRuntime {
  /** Open while a process serves the app or one is starting for it. */
  listener: AppListener | undefined;
  current: LocalAppProcess | undefined;
  /** When `current` started serving (performance.now()). */
  currentSince: number;
  readonly crashes: CrashRestarts;
  /** A restart of a crashed process, waiting for its delay. */
  restartTimer: NodeJS.Timeout | undefined;
}

/** Where the app stands after a start of new code or settings failed. */
type Fallback =
  | { readonly kind: 'still-running' }
  | { readonly kind: 'running-again' }
  | { readonly kind: 'nothing-earlier' }
  | { readonly kind: 'restart-failed'; readonly error: unknown };

type RunOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown; readonly fallback: Fallback };

const appsDirName = 'apps';
/** Not a valid app name, so it never collides with an app's queue. */
const portAllocationKey = ':ports';

export class LocalPlatform implements Platform {
  readonly #root: string;
  readonly #owner: string;
  readonly #ports: PortRange | undefined;
  readonly #startTimeoutMs: number;
  readonly #probeTimeoutMs: number;
  readonly #portReleaseTimeoutMs: number;
  readonly #drainTimeoutMs: number;
  readonly #handoverTimeoutMs: number;
  readonly #crashPolicy: CrashRestartPolicy;
  readonly #limits: PackageLimits;
  readonly #logger: Logger;
  readonly #onAppLog: ((appName: string, line: string) => void) | undefined;
  readonly #runtimes = new Map<string, AppRuntime>();
  /** Processes this platform is stopping or retiring: their exit is no news. */
  readonly #ending = new WeakSet<LocalAppProcess>();
  readonly #lastExit = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  constructor(options: LocalPlatformOptions) {
    this.#root = path.resolve(options.root);
    this.#owner = options.owner ?? 'default';
    if (options.ports !== undefined) {
      const { first, last } = options.ports;
      if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || first > last) {
        throw new RouterError('INVALID_CONFIGURATION', `The local platform's port range ${first}-${last} is not a range of ports.`);
      }
    }
    this.#ports = options.ports;
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    this.#portReleaseTimeoutMs = options.portReleaseTimeoutMs ?? 15_000;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.#handoverTimeoutMs = options.handoverTimeoutMs ?? 30_000;
    this.#crashPolicy = { ...defaultCrashRestartPolicy, ...options.crashRestarts };
    this.#limits = resolvePackageLimits(options.packageLimits);
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#onAppLog = options.onAppLog;
  }

  /** The folder the apps live in, absolute. */
  get root(): string {
    return this.#root;
  }

  async provision(request: ProvisionRequest): Promise<PlatformApp> {
    assertProvisionRequest(request);
    return this.#exclusive(request.appName, async () => {
      const existing = await this.#readRecord(request.appName);
      if (existing !== undefined) {
        if (existing.owner !== this.#owner) throw nameTaken(request.appName, `it belongs to the router "${existing.owner}"`);
        if (existing.routeKey !== request.routeKey) throw nameTaken(request.appName, `this router uses it for ${existing.routeKey}, not ${request.routeKey}`);
        return this.#view(existing);
      }
      // Ports are handed out one app at a time, so that two apps provisioned together never share one.
      const record = await this.#exclusive(portAllocationKey, async () => {
        const taken = new Set((await this.#allRecords()).map((other) => other.port));
        const created: LocalAppRecord = {
          schema: 1,
          name: request.appName,
          owner: this.#owner,
          routeKey: request.routeKey,
          version: request.version,
          tags: { ...request.tags },
          port: await allocatePort(taken, this.#ports),
          createdAt: new Date().toISOString(),
          settings: {},
        };
        // Owner-only, like the record and the keys inside it: the app's settings hold secrets.
        await mkdir(this.#appDir(request.appName), { recursive: true, mode: 0o700 });
        await chmod(this.#appDir(request.appName), 0o700);
        // Keys first: an app exists only once its record does, and it has keys from then on.
        await ensureHostSecrets(this.#secretsDir(request.appName));
        await writeAppRecord(this.#appDir(request.appName), created);
        return created;
      });
      this.#logger.info({ app: record.name, routeKey: record.routeKey, port: record.port }, 'provisioned a local app');
      return this.#view(record);
    });
  }

  async configure(appName: string, settings: AppSettings): Promise<void> {
    assertAppName(appName);
    assertSettings(settings);
    return this.#exclusive(appName, async () => {
      const current = await this.#ownedRecord(appName);
      if (sameSettings(current.settings, settings)) return;
      const changed = { ...current, settings: { ...settings } };
      const record = this.#isRunning(appName) ? runningRecord(changed) : changed;
      if (this.#isRunning(appName)) {
        const outcome = await this.#run(record, current);
        if (!outcome.ok) {
          throw new RouterError('PLATFORM_OPERATION_FAILED', `The app "${appName}" did not start with its new settings, so they were not saved: ${messageOf(outcome.error)}\n${fallbackSentence(outcome.fallback, 'settings')}`, {
            cause: outcome.error,
            details: { appName },
          });
        }
      }
      await writeAppRecord(this.#appDir(appName), record);
      this.#logger.info({ app: appName, settings: Object.keys(settings) }, 'configured a local app');
    });
  }

  async deploy(appName: string, deployment: DeploymentPackage): Promise<PlatformApp> {
    assertAppName(appName);
    if (!/^[0-9a-f]{64}$/.test(deployment.sha256)) throw new RouterError('INVALID_REQUEST', 'A deployment needs the package\'s sha256 as 64 lower-case hex digits.');
    return this.#exclusive(appName, async () => {
      const record = await this.#ownedRecord(appName);
      const appDir = this.#appDir(appName);
      await this.#tidy(record);
      const folder = newDeploymentFolder();
      await unpackPackage(deployment.path, codePath(appDir, folder), { limits: this.#limits, skip: isLocalOnlyPath });
      const deployed: LocalAppRecord = { ...record, deployment: { sha256: deployment.sha256, deployedAt: new Date().toISOString(), folder } };
      const outcome = await this.#run(deployed, record.deployment === undefined ? undefined : record);
      if (!outcome.ok) {
        await removeDeployment(appDir, folder);
        throw this.#deployFailed(record, outcome.error, outcome.fallback);
      }
      await writeAppRecord(appDir, runningRecord(deployed));
      // The previous code's process has exited: nothing runs from its folder any more.
      await removeOtherDeployments(appDir, folder);
      this.#logger.info({ app: appName, sha256: deployment.sha256 }, 'deployed a package to a local app');
      return this.#view(deployed);
    });
  }

  async health(appName: string): Promise<AppHealth> {
    assertAppName(appName);
    const record = await this.#ownedRecord(appName);
    const app = this.#view(record);
    if (app.state === 'not-deployed') return { healthy: false, state: app.state, functions: [], entities: [], detail: 'No package has been deployed to it yet.' };
    if (app.state === 'stopped') {
      const lastExit = this.#lastExit.get(appName);
      return { healthy: false, state: app.state, functions: [], entities: [], detail: lastExit ?? 'Its process is not running (resume the platform to start it).' };
    }
    // Read, never made here: a probe racing a delete must not leave a keys folder behind.
    const secrets = await readHostSecrets(this.#secretsDir(appName));
    if (secrets === undefined) return { healthy: false, state: app.state, functions: [], entities: [], detail: 'Its keys file is missing, so it cannot be asked; redeploy it to have new keys made.' };
    const probe = await probeHost(app.url, this.#probeTimeoutMs, secrets.masterKey);
    return { ...probe, state: app.state };
  }

  async delete(appName: string): Promise<void> {
    assertAppName(appName);
    return this.#exclusive(appName, async () => {
      const record = await this.#readRecord(appName);
      if (record !== undefined && record.owner !== this.#owner) {
        throw nameTaken(appName, `it belongs to the router "${record.owner}", so this router does not delete it`);
      }
      await this.#halt(appName);
      await rm(this.#appDir(appName), { recursive: true, force: true });
      this.#lastExit.delete(appName);
      if (record !== undefined) this.#logger.info({ app: appName }, 'deleted a local app');
    });
  }

  async get(appName: string): Promise<PlatformApp | undefined> {
    assertAppName(appName);
    const record = await this.#readRecord(appName);
    return record?.owner === this.#owner ? this.#view(record) : undefined;
  }

  async list(): Promise<PlatformApp[]> {
    return (await this.#allRecords()).filter((record) => record.owner === this.#owner).map((record) => this.#view(record));
  }

  async keys(appName: string): Promise<AppKeys> {
    assertAppName(appName);
    await this.#ownedRecord(appName);
    // Apps provisioned before keys existed get theirs now, as a Functions host makes them on first start.
    const secrets = await ensureHostSecrets(this.#secretsDir(appName));
    const functionKey = secrets.functionKeys[defaultFunctionKeyName];
    const durableTask = secrets.systemKeys[durableTaskSystemKeyName];
    if (functionKey === undefined || durableTask === undefined) {
      throw new RouterError('PLATFORM_OPERATION_FAILED', `The keys of the app "${appName}" lack the ${functionKey === undefined ? `"${defaultFunctionKeyName}" function key` : `"${durableTaskSystemKeyName}" system key`}.`, { details: { appName } });
    }
    return { function: functionKey, durableTask };
  }

  /** All of the app host's keys, master key included (what ARM's listHostKeys answers); not part of the port. */
  async hostSecrets(appName: string): Promise<HostSecrets> {
    assertAppName(appName);
    await this.#ownedRecord(appName);
    return ensureHostSecrets(this.#secretsDir(appName));
  }

  /** Adds or replaces one key (what ARM's createOrUpdateHostSecret does); the app's host picks it up while it runs. */
  async setHostSecret(appName: string, group: 'masterKey' | 'functionKeys' | 'systemKeys', name: string, value: string): Promise<HostSecrets> {
    assertAppName(appName);
    return this.#exclusive(appName, async () => {
      await this.#ownedRecord(appName);
      const current = await ensureHostSecrets(this.#secretsDir(appName));
      const next: HostSecrets = group === 'masterKey'
        ? { ...current, masterKey: value }
        : { ...current, [group]: { ...current[group], [name]: value } };
      await writeHostSecrets(this.#secretsDir(appName), next);
      return next;
    });
  }

  /**
   * Rewrites the recorded settings of this owner's apps that are not running (call it before
   * `resume()`): `revise` gives an app's new settings, or undefined to keep them. The names of
   * the apps changed.
   */
  async reviseStoppedAppSettings(revise: (settings: AppSettings) => AppSettings | undefined): Promise<string[]> {
    const revised: string[] = [];
    for (const { name } of (await this.#allRecords()).filter((record) => record.owner === this.#owner)) {
      await this.#exclusive(name, async () => {
        const record = await this.#readRecord(name);
        const settings = record === undefined || this.#isRunning(name) ? undefined : revise(record.settings);
        if (record === undefined || settings === undefined || sameSettings(record.settings, settings)) return;
        assertSettings(settings);
        await writeAppRecord(this.#appDir(name), { ...record, settings: { ...settings } });
        revised.push(name);
      });
    }
    return revised;
  }

  /** Starts every deployed app of this owner that is not running, on its recorded port. */
  async resume(): Promise<ResumeReport> {
    const started: string[] = [];
    const failed: { appName: string; error: RouterError }[] = [];
    const records = (await this.#allRecords()).filter((record) => record.owner === this.#owner && record.deployment !== undefined);
    for (const { name } of records) {
      try {
        const wasStarted = await this.#exclusive(name, async () => {
          const record = await this.#readRecord(name);
          if (record?.deployment === undefined || this.#isRunning(name)) return false;
          await this.#tidy(record);
          const runtime = this.#runtimeOf(name);
          runtime.crashes.reset();
          try {
            await this.#startServing(record, runtime);
          } catch (error) {
            this.#closeListener(runtime);
            throw error;
          }
          if (record.down !== undefined) await writeAppRecord(this.#appDir(name), runningRecord(record));
          return true;
        });
        if (wasStarted) started.push(name);
      } catch (error) {
        const failure = isRouterError(error) ? error : new RouterError('PLATFORM_OPERATION_FAILED', `The app "${name}" could not be resumed: ${messageOf(error)}`, { cause: error });
        this.#logger.error({ app: name, code: failure.code, err: failure.message }, 'a local app could not be resumed');
        failed.push({ appName: name, error: failure });
      }
    }
    return { started, failed };
  }

  /** Stops every app process, waiting for operations under way; keeps every app and its files. Final. */
  async stop(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#queues.values()]);
    await Promise.all([...this.#runtimes.keys()].map((name) => this.#halt(name)));
  }

  #appDir(appName: string): string {
    return path.join(this.#root, appsDirName, appName);
  }

  /** The app host's keys folder (its host.json), beside the app's record and outside its code. */
  #secretsDir(appName: string): string {
    return path.join(this.#appDir(appName), 'secrets');
  }

  #isRunning(appName: string): boolean {
    return this.#runtimes.get(appName)?.current !== undefined;
  }

  #view(record: LocalAppRecord): PlatformApp {
    const state = record.deployment === undefined ? 'not-deployed' : this.#isRunning(record.name) ? 'running' : 'stopped';
    return {
      name: record.name,
      url: `http://127.0.0.1:${record.port}`,
      routeKey: record.routeKey,
      version: record.version,
      tags: { ...record.tags },
      state,
      settingNames: Object.keys(record.settings).sort(),
      deployment: record.deployment === undefined ? undefined : { sha256: record.deployment.sha256, deployedAt: record.deployment.deployedAt },
      createdAt: record.createdAt,
    };
  }

  #readRecord(appName: string): Promise<LocalAppRecord | undefined> {
    return readAppRecord(this.#appDir(appName));
  }

  async #ownedRecord(appName: string): Promise<LocalAppRecord> {
    const record = await this.#readRecord(appName);
    if (record === undefined || record.owner !== this.#owner) {
      throw new RouterError('PLATFORM_APP_NOT_FOUND', `The local platform has no app "${appName}" of this router; provision it first.`, { details: { appName } });
    }
    return record;
  }

  async #allRecords(): Promise<LocalAppRecord[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.#root, appsDirName));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records = await Promise.all(names.sort().map((name) => this.#readRecord(name)));
    return records.filter((record): record is LocalAppRecord => record !== undefined);
  }

  /** Runs one operation on an app (or on the port allocation) at a time, in call order. */
  #exclusive<T>(appName: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new RouterError('SHUTTING_DOWN', 'The local platform has been stopped; open a new one over the same root.'));
    const previous = this.#queues.get(appName) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(appName, settled);
    void settled.then(() => {
      if (this.#queues.get(appName) === settled) this.#queues.delete(appName);
    });
    return next;
  }

  /** Folders left by a deploy that was cut off (the control plane was killed) go before the app is touched. */
  async #tidy(record: LocalAppRecord): Promise<void> {
    const appDir = this.#appDir(record.name);
    await recoverSite(appDir);
    // A record of the earlier layout runs site/ itself: nothing in it is stale.
    if (record.deployment === undefined || record.deployment.folder !== undefined) await removeOtherDeployments(appDir, record.deployment?.folder);
  }

  #runtimeOf(appName: string): AppRuntime {
    let runtime = this.#runtimes.get(appName);
    if (runtime === undefined) {
      runtime = { listener: undefined, current: undefined, currentSince: 0, crashes: new CrashRestarts(this.#crashPolicy), restartTimer: undefined };
      this.#runtimes.set(appName, runtime);
    }
    return runtime;
  }

  /**
   * Makes `next` (its code and settings) serve the app, replacing the process that runs `previous`
   * if there is one, without a moment in which the app refuses a connection (see the file comment).
   */
  async #run(next: LocalAppRecord, previous: LocalAppRecord | undefined): Promise<RunOutcome> {
    const runtime = this.#runtimeOf(next.name);
    const old = runtime.current;
    const overlap = old !== undefined && !(usesEmbeddedStorage(previous?.settings ?? {}) && usesEmbeddedStorage(next.settings));
    if (old !== undefined && !overlap) await this.#retire(next.name, runtime, old);
    let started: LocalAppProcess;
    try {
      started = await this.#spawn(next, runtime);
    } catch (error) {
      if (overlap) return { ok: false, error, fallback: { kind: 'still-running' } };
      return { ok: false, error, fallback: await this.#fallBack(previous, runtime) };
    }
    this.#serveWith(runtime, next.name, started);
    try {
      // The old process, if it still runs, hands the task hub over once its running work is done.
      await started.startEngine();
      await started.ownsTaskHub(this.#handoverTimeoutMs);
    } catch (error) {
      await this.#takeDown(runtime, started);
      if (old !== undefined && overlap && old.alive) {
        // It never stopped serving: its connections come back to it, and it takes the hub back once free.
        runtime.current = old;
        runtime.listener?.serveWith(old);
        return { ok: false, error, fallback: { kind: 'still-running' } };
      }
      return { ok: false, error, fallback: await this.#fallBack(previous, runtime) };
    }
    if (old !== undefined && overlap) await this.#retire(next.name, runtime, old);
    runtime.crashes.reset();
    return { ok: true };
  }

  /** After new code or settings did not start and nothing else runs: the previous ones again, if any. */
  async #fallBack(previous: LocalAppRecord | undefined, runtime: AppRuntime): Promise<Fallback> {
    if (previous?.deployment === undefined) {
      this.#closeListener(runtime);
      return { kind: 'nothing-earlier' };
    }
    try {
      await this.#startServing(previous, runtime);
      return { kind: 'running-again' };
    } catch (error) {
      this.#closeListener(runtime);
      return { kind: 'restart-failed', error };
    }
  }

  /** Starts the record's code with nothing else running for the app, and its durable engine. */
  async #startServing(record: LocalAppRecord, runtime: AppRuntime): Promise<void> {
    const started = await this.#spawn(record, runtime);
    this.#serveWith(runtime, record.name, started);
    try {
      await started.startEngine();
    } catch (error) {
      await this.#takeDown(runtime, started);
      throw error;
    }
  }

  /** Starts a process of the record's code, ready to take connections; the app's port is opened first if it is not. */
  async #spawn(record: LocalAppRecord, runtime: AppRuntime): Promise<LocalAppProcess> {
    if (this.#closed) throw new RouterError('SHUTTING_DOWN', 'The local platform is stopping; the app is not started.');
    runtime.listener ??= await this.#openListener(record);
    return startLocalAppProcess({
      appDir: codePath(this.#appDir(record.name), record.deployment?.folder),
      port: record.port,
      connections: 'handed',
      settings: { ...platformSettings(record), ...record.settings },
      environment: 'isolated',
      dataDir: path.join(this.#appDir(record.name), 'azurite'),
      secretsDir: this.#secretsDir(record.name),
      startTimeoutMs: this.#startTimeoutMs,
      onLog: (line) => this.#onAppLog?.(record.name, line),
    });
  }

  async #openListener(record: LocalAppRecord): Promise<AppListener> {
    const deadline = performance.now() + this.#portReleaseTimeoutMs;
    for (;;) {
      try {
        return await AppListener.open(record.port, (error) => this.#logger.error({ app: record.name, err: error }, 'the port of a local app failed to accept a connection'));
      } catch (error) {
        // A process still exiting (or anyone else) may hold the port: wait, up to a point.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        if (performance.now() >= deadline) {
          throw new RouterError('PLATFORM_OPERATION_FAILED', `The port ${record.port} of the app "${record.name}" is held by another process; stop it, then resume the platform.`, {
            details: { appName: record.name, port: record.port },
          });
        }
        await sleep(100);
      }
    }
  }

  /** From now on the app's new connections go to `started`. */
  #serveWith(runtime: AppRuntime, appName: string, started: LocalAppProcess): void {
    runtime.current = started;
    runtime.currentSince = performance.now();
    runtime.listener?.serveWith(started);
    this.#lastExit.delete(appName);
    this.#logger.info({ app: appName, pid: started.pid, url: started.url }, 'started a local app');
    void started.exited.then((exit) => {
      if (this.#ending.has(started) || runtime.current !== started) return;
      runtime.current = undefined;
      // Connections wait at the port for the restart (closed if there is none).
      runtime.listener?.serveWith(undefined);
      this.#logger.warn({ app: appName, code: exit.code, signal: exit.signal, output: started.outputTail() }, 'a local app exited on its own');
      this.#crashed(appName, runtime, exit, runtime.crashes.crashed(performance.now() - runtime.currentSince));
    });
  }

  /** Records why the app is down and starts it again after the policy's delay, or gives up. */
  #crashed(appName: string, runtime: AppRuntime, exit: ProcessExit | undefined, decision: CrashDecision): void {
    const since = new Date().toISOString();
    const how = exit === undefined ? 'did not start again' : describeExit(exit);
    if (!decision.restart || this.#closed) {
      this.#closeListener(runtime);
      const explanation = this.#closed
        ? `Its process ${how} at ${since} while the platform was stopping; resume the platform to start it again.`
        : `Its process ${how} at ${since}; it ended ${decision.quickCrashes} times in a row within ${this.#crashPolicy.healthyLifetimeMs / 1000} s of starting, so it is not restarted any more: fix the app and deploy it again, or resume the platform.`;
      this.#lastExit.set(appName, explanation);
      this.#logger.error({ app: appName, quickCrashes: decision.quickCrashes }, 'a local app keeps crashing; it is not restarted any more');
    } else {
      const loop = decision.quickCrashes === 0 ? '' : ` (${decision.quickCrashes} quick crash${decision.quickCrashes === 1 ? '' : 'es'} in a row; it gives up at ${this.#crashPolicy.maxQuickCrashes})`;
      this.#lastExit.set(appName, `Its process ${how} at ${since}; the platform starts it again${decision.delayMs === 0 ? ' now' : ` in ${decision.delayMs} ms`}${loop}.`);
      runtime.restartTimer = setTimeout(() => {
        runtime.restartTimer = undefined;
        this.#restart(appName, runtime).catch((error: unknown) => this.#logger.error({ app: appName, err: error }, 'a crashed local app could not be restarted'));
      }, decision.delayMs);
    }
    const down = { since, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, quickCrashes: decision.quickCrashes, gaveUp: !decision.restart };
    this.#exclusive(appName, async () => {
      const record = await this.#readRecord(appName);
      if (record !== undefined && this.#runtimes.get(appName) === runtime && runtime.current === undefined) await writeAppRecord(this.#appDir(appName), { ...record, down });
    }).catch((error: unknown) => {
      if (!this.#closed) this.#logger.error({ app: appName, err: error }, 'could not record that a local app is down');
    });
  }

  /** Starts a crashed app's recorded code again, unless something else (a deploy, a delete, a stop) came first. */
  async #restart(appName: string, runtime: AppRuntime): Promise<void> {
    if (this.#closed) return;
    await this.#exclusive(appName, async () => {
      if (this.#closed || this.#runtimes.get(appName) !== runtime || runtime.current !== undefined) return;
      const record = await this.#readRecord(appName);
      if (record?.deployment === undefined) return;
      try {
        await this.#startServing(record, runtime);
      } catch (error) {
        this.#logger.warn({ app: appName, err: messageOf(error) }, 'a crashed local app did not start again');
        // A process that started and then died has been handled as a crash already.
        if (runtime.restartTimer === undefined && runtime.listener !== undefined) this.#crashed(appName, runtime, undefined, runtime.crashes.crashed(0));
        return;
      }
      await writeAppRecord(this.#appDir(appName), runningRecord(record));
      this.#logger.info({ app: appName }, 'restarted a local app that had exited on its own');
    });
  }

  /**
   * Lets a process of the app finish what its clients send on their connections, then stop (see
   * LocalAppProcess.retire); if it was the current one, new connections wait at the port for the next.
   */
  async #retire(appName: string, runtime: AppRuntime, running: LocalAppProcess): Promise<void> {
    if (runtime.current === running) {
      runtime.current = undefined;
      runtime.listener?.serveWith(undefined);
    }
    this.#ending.add(running);
    await running.retire(this.#drainTimeoutMs);
    this.#logger.info({ app: appName, pid: running.pid }, 'a replaced local app process finished its connections and exited');
  }

  /** Stops a process of the app; if it was the current one, new connections wait at the port for the next. */
  async #takeDown(runtime: AppRuntime, running: LocalAppProcess): Promise<void> {
    if (runtime.current === running) {
      runtime.current = undefined;
      runtime.listener?.serveWith(undefined);
    }
    this.#ending.add(running);
    await running.stop();
  }

  #closeListener(runtime: AppRuntime): void {
    runtime.listener?.close();
    runtime.listener = undefined;
  }

  /** Closes the app's port and stops its process. */
  async #halt(appName: string): Promise<void> {
    const runtime = this.#runtimes.get(appName);
    if (runtime === undefined) return;
    this.#runtimes.delete(appName);
    clearTimeout(runtime.restartTimer);
    this.#closeListener(runtime);
    if (runtime.current === undefined) return;
    await this.#takeDown(runtime, runtime.current);
    this.#logger.info({ app: appName }, 'stopped a local app');
  }

  #deployFailed(record: LocalAppRecord, startFailure: unknown, fallback: Fallback): RouterError {
    const hint = /Cannot find module '(@azure\/functions|durable-functions)/.test(messageOf(startFailure))
      ? ` Its dependencies must be in the package's node_modules or in a node_modules folder above ${this.#root}.`
      : '';
    return new RouterError('PLATFORM_DEPLOY_FAILED', `The package deployed to "${record.name}" did not start: ${messageOf(startFailure)}${hint}\n${fallbackSentence(fallback, 'package')}`, {
      cause: startFailure,
      details: { appName: record.name, previousRunning: fallback.kind === 'still-running' || fallback.kind === 'running-again' },
    });
  }
}

function fallbackSentence(fallback: Fallback, what: 'package' | 'settings'): string {
  switch (fallback.kind) {
    case 'still-running':
      return what === 'package' ? 'The previous package is still running.' : 'The app still runs with its previous settings.';
    case 'running-again':
      return what === 'package' ? 'The previous package is running again.' : 'The app runs again with its previous settings.';
    case 'nothing-earlier':
      return 'The app had no earlier code, so nothing runs.';
    case 'restart-failed':
      return `The previous ${what} did not start again either: ${messageOf(fallback.error)}`;
  }
}

/**
 * Whether the host would start its own Azurite for these settings (it does when the app names no
 * storage), whose data folder is the app's: two processes of the app cannot both run one.
 */
function usesEmbeddedStorage(settings: AppSettings): boolean {
  const storage = settings['AzureWebJobsStorage'] ?? settings['ROUTER_STORAGE'];
  return storage === undefined || storage.trim() === '' || /UseDevelopmentStorage=true/i.test(storage);
}

/** What Azure sets on every Function App; the app's own settings may override them. */
function platformSettings(record: LocalAppRecord): Record<string, string> {
  return { FUNCTIONS_WORKER_RUNTIME: 'node', FUNCTIONS_EXTENSION_VERSION: '~4', WEBSITE_SITE_NAME: record.name };
}

function sameSettings(a: AppSettings, b: AppSettings): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => Object.hasOwn(b, name) && a[name] === b[name]);
}

function nameTaken(appName: string, reason: string): RouterError {
  return new RouterError('PLATFORM_APP_NAME_TAKEN', `The app name "${appName}" is taken: ${reason}. Choose another name.`, { details: { appName } });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
