/**
 * The local platform: each Function App is a process of the local Functions host on its own port,
 * with its own folder `<root>/apps/<name>/` holding `app.json` (its record: tags, settings, port,
 * deployed package) and `site/` (the deployed code the process runs).
 *
 * - Records outlive the processes: a new LocalPlatform over the same root lists the same apps and
 *   `resume()` restarts them on the same ports (their URLs are in the version map).
 * - An app process gets only its settings (plus PATH, HOME, ...) as environment, like an app on
 *   Azure, and exits with its parent (the host's --exit-with-stdin), so no app outlives the router.
 * - Deploy unpacks into a fresh folder, then stops the app, swaps the folder in and starts it on the
 *   same port; if the new code does not start, the previous code is put back and started again.
 *   Between the stop and the start the app does not answer (about as long as a host start, well
 *   under a second for a small app).
 * - Dependencies: the code runs from `site/`, so `@azure/functions` and `durable-functions` must
 *   resolve from there: a package may ship its node_modules, otherwise Node looks in the folders
 *   above, so keep the root under the project (the default `.data/platform`) whose node_modules
 *   has them.
 * - One LocalPlatform per root at a time: operations on one app are serialised in this process,
 *   not across processes.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { resolvePackageLimits, type PackageLimits } from '../../platform/package/package-limits.js';
import { isLocalOnlyPath } from '../../platform/package/package-paths.js';
import { unpackPackage } from '../../platform/package/package-unpacking.js';
import { assertAppName, assertProvisionRequest, assertSettings } from '../../platform/platform-input.js';
import type { AppHealth, AppSettings, DeploymentPackage, Platform, PlatformApp, ProvisionRequest } from '../../platform/platform.js';
import { readAppRecord, writeAppRecord, type LocalAppRecord } from './app-record.js';
import { probeHost } from './host-health-probe.js';
import { startLocalAppProcess, type LocalAppProcess } from './local-app-process.js';
import { allocatePort, waitForPortFree, type PortRange } from './port-allocation.js';
import { newStagingPath, recoverSite, restoreSite, sitePath, swapInSite } from './site-directories.js';

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
  readonly packageLimits?: Partial<PackageLimits>;
  /** The platform's own events (start, stop, exits); default: silent. */
  readonly logger?: Logger;
  /** Every line an app's host logs, e.g. to show it with the app's name. */
  readonly onAppLog?: (appName: string, line: string) => void;
}

export interface ResumeReport {
  readonly started: readonly string[];
  readonly failed: readonly { readonly appName: string; readonly error: RouterError }[];
}

interface RunningApp {
  readonly process: LocalAppProcess;
  stopping: boolean;
}

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
  readonly #limits: PackageLimits;
  readonly #logger: Logger;
  readonly #onAppLog: ((appName: string, line: string) => void) | undefined;
  readonly #running = new Map<string, RunningApp>();
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
        await mkdir(this.#appDir(request.appName), { recursive: true });
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
      const record = { ...current, settings: { ...settings } };
      await writeAppRecord(this.#appDir(appName), record);
      this.#logger.info({ app: appName, settings: Object.keys(settings) }, 'configured a local app');
      if (!this.#running.has(appName)) return;
      await this.#stopProcess(appName);
      try {
        await this.#startProcess(record);
      } catch (error) {
        throw new RouterError('PLATFORM_OPERATION_FAILED', `The settings of "${appName}" were saved, but the app did not start again with them: ${messageOf(error)}`, {
          cause: error,
          details: { appName },
        });
      }
    });
  }

  async deploy(appName: string, deployment: DeploymentPackage): Promise<PlatformApp> {
    assertAppName(appName);
    if (!/^[0-9a-f]{64}$/.test(deployment.sha256)) throw new RouterError('INVALID_REQUEST', 'A deployment needs the package\'s sha256 as 64 lower-case hex digits.');
    return this.#exclusive(appName, async () => {
      const record = await this.#ownedRecord(appName);
      const appDir = this.#appDir(appName);
      await recoverSite(appDir);
      const staging = newStagingPath(appDir);
      await unpackPackage(deployment.path, staging, { limits: this.#limits, skip: isLocalOnlyPath });
      await this.#stopProcess(appName);
      const previous = await swapInSite(appDir, staging);
      try {
        await this.#startProcess(record);
      } catch (startFailure) {
        throw await this.#rollBack(record, previous, startFailure);
      }
      if (previous !== undefined) await rm(previous, { recursive: true, force: true });
      const deployed: LocalAppRecord = { ...record, deployment: { sha256: deployment.sha256, deployedAt: new Date().toISOString() } };
      await writeAppRecord(appDir, deployed);
      this.#logger.info({ app: appName, sha256: deployment.sha256 }, 'deployed a package to a local app');
      return this.#view(deployed);
    });
  }

  async health(appName: string): Promise<AppHealth> {
    assertAppName(appName);
    const record = await this.#ownedRecord(appName);
    const app = this.#view(record);
    if (app.state === 'not-deployed') return { healthy: false, state: app.state, functions: [], detail: 'No package has been deployed to it yet.' };
    if (app.state === 'stopped') {
      const lastExit = this.#lastExit.get(appName);
      return { healthy: false, state: app.state, functions: [], detail: lastExit ?? 'Its process is not running (resume the platform to start it).' };
    }
    const probe = await probeHost(app.url, this.#probeTimeoutMs);
    return { ...probe, state: app.state };
  }

  async delete(appName: string): Promise<void> {
    assertAppName(appName);
    return this.#exclusive(appName, async () => {
      const record = await this.#readRecord(appName);
      if (record !== undefined && record.owner !== this.#owner) {
        throw nameTaken(appName, `it belongs to the router "${record.owner}", so this router does not delete it`);
      }
      await this.#stopProcess(appName);
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

  /** Starts every deployed app of this owner that is not running, on its recorded port. */
  async resume(): Promise<ResumeReport> {
    const started: string[] = [];
    const failed: { appName: string; error: RouterError }[] = [];
    const records = (await this.#allRecords()).filter((record) => record.owner === this.#owner && record.deployment !== undefined);
    for (const { name } of records) {
      try {
        const wasStarted = await this.#exclusive(name, async () => {
          const record = await this.#readRecord(name);
          if (record?.deployment === undefined || this.#running.has(name)) return false;
          await recoverSite(this.#appDir(name));
          await this.#startProcess(record);
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
    await Promise.all([...this.#running.keys()].map((name) => this.#stopProcess(name)));
  }

  #appDir(appName: string): string {
    return path.join(this.#root, appsDirName, appName);
  }

  #view(record: LocalAppRecord): PlatformApp {
    const state = record.deployment === undefined ? 'not-deployed' : this.#running.has(record.name) ? 'running' : 'stopped';
    return {
      name: record.name,
      url: `http://127.0.0.1:${record.port}`,
      routeKey: record.routeKey,
      version: record.version,
      tags: { ...record.tags },
      state,
      settingNames: Object.keys(record.settings).sort(),
      deployment: record.deployment === undefined ? undefined : { ...record.deployment },
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

  async #startProcess(record: LocalAppRecord): Promise<void> {
    const deadline = performance.now() + this.#portReleaseTimeoutMs;
    for (;;) {
      if (!(await waitForPortFree(record.port, Math.max(0, deadline - performance.now())))) {
        throw new RouterError('PLATFORM_OPERATION_FAILED', `The port ${record.port} of the app "${record.name}" is held by another process; stop it, then resume the platform.`, {
          details: { appName: record.name, port: record.port },
        });
      }
      try {
        const started = await startLocalAppProcess({
          appDir: sitePath(this.#appDir(record.name)),
          port: record.port,
          settings: { ...platformSettings(record), ...record.settings },
          environment: 'isolated',
          dataDir: path.join(this.#appDir(record.name), 'azurite'),
          startTimeoutMs: this.#startTimeoutMs,
          onLog: (line) => this.#onAppLog?.(record.name, line),
        });
        this.#watch(record.name, started);
        this.#lastExit.delete(record.name);
        this.#logger.info({ app: record.name, pid: started.pid, url: started.url }, 'started a local app');
        return;
      } catch (error) {
        // Between the probe and the host's own listen another process may take the port: wait again.
        if (isRouterError(error, 'APP_START_FAILED') && error.details?.['reason'] === 'port-in-use' && performance.now() < deadline) continue;
        throw error;
      }
    }
  }

  #watch(appName: string, started: LocalAppProcess): void {
    const entry: RunningApp = { process: started, stopping: false };
    this.#running.set(appName, entry);
    void started.exited.then((code) => {
      if (this.#running.get(appName) === entry) this.#running.delete(appName);
      if (entry.stopping) return;
      const explanation = `Its process exited on its own (code ${code}); resume the platform or redeploy to start it again.`;
      this.#lastExit.set(appName, explanation);
      this.#logger.warn({ app: appName, code, output: started.outputTail() }, 'a local app exited on its own');
    });
  }

  async #stopProcess(appName: string): Promise<void> {
    const entry = this.#running.get(appName);
    if (entry === undefined) return;
    entry.stopping = true;
    await entry.process.stop();
    this.#running.delete(appName);
    this.#logger.info({ app: appName }, 'stopped a local app');
  }

  /** After a deploy whose code did not start: the previous code back and running, and the error to throw. */
  async #rollBack(record: LocalAppRecord, previous: string | undefined, startFailure: unknown): Promise<RouterError> {
    const appDir = this.#appDir(record.name);
    await restoreSite(appDir, previous);
    let outcome: string;
    if (previous === undefined) {
      outcome = 'The app had no earlier code, so nothing runs.';
    } else {
      try {
        await this.#startProcess(record);
        outcome = 'The previous package is running again.';
      } catch (restartFailure) {
        outcome = `The previous package is back in place but did not start either: ${messageOf(restartFailure)}`;
      }
    }
    const hint = /Cannot find module '(@azure\/functions|durable-functions)/.test(messageOf(startFailure))
      ? ` Its dependencies must be in the package's node_modules or in a node_modules folder above ${this.#root}.`
      : '';
    return new RouterError('PLATFORM_DEPLOY_FAILED', `The package deployed to "${record.name}" did not start: ${messageOf(startFailure)}${hint}\n${outcome}`, {
      cause: startFailure,
      details: { appName: record.name, previousRunning: outcome.startsWith('The previous package is running') },
    });
  }
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
