/**
 * What really runs a site of the fake: a LocalPlatform of its own (rooted in the fake's data
 * folder) holding one app, the site's, run as a process of the project's local Functions host, and
 * the site's HTTPS front. A platform of its own per site because stopping a site must stop its
 * process and keep its files, which is what LocalPlatform.stop() does for a whole platform; a new
 * LocalPlatform over the same root then starts it again (`resume`).
 *
 * Operations on one site run one at a time, in call order.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { request } from 'undici';
import { RouterError } from '../../../../shared/errors/router-error.js';
import type { HostSecrets } from '../../../../deployer/host/keys/host-secrets.js';
import { LocalPlatform } from '../../../../deployer/platform/local/local-platform.js';
import { SiteFront } from './site-front.js';

/** What the host's GET /admin/functions lists for one function. */
export interface HostFunctionListing {
  readonly name: string;
  readonly language?: string;
  readonly trigger?: string;
  readonly invoke_url_template?: string;
  readonly config?: { readonly bindings?: readonly Readonly<Record<string, unknown>>[] };
  readonly isDisabled?: boolean;
}

export interface SiteHostOptions {
  /** The site's own folder under the fake's data folder. */
  readonly root: string;
  readonly siteName: string;
  readonly logger: Logger;
  readonly startTimeoutMs: number;
  readonly onAppLog?: ((siteName: string, line: string) => void) | undefined;
}

const platformOwner = 'fake-arm';
const listingTimeoutMs = 10_000;
const maxPortAttempts = 10;

export class SiteHost {
  readonly #options: SiteHostOptions;
  readonly #appName: string;
  #platform: LocalPlatform;
  #front: SiteFront | undefined;
  #appPort = 0;
  #stopped = false;
  #gone = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: SiteHostOptions) {
    this.#options = options;
    this.#appName = options.siteName.toLowerCase();
    this.#platform = this.#openPlatform();
  }

  /**
   * Provisions the site's app (its keys exist from now on) and opens its HTTPS front. An app's
   * port is only held once its code runs, so the system may hand it out again meanwhile: ports
   * other sites use (`portsInUse`) are refused here, for the app and for the front.
   */
  static async create(options: SiteHostOptions, portsInUse: () => ReadonlySet<number>): Promise<SiteHost> {
    const host = new SiteHost(options);
    for (let attempt = 1; ; attempt++) {
      const app = await host.#platform.provision({ appName: host.#appName, routeKey: '0.0', version: '0.0.0' });
      host.#appPort = Number(new URL(app.url).port);
      if (!portsInUse().has(host.#appPort)) break;
      await host.#platform.delete(host.#appName);
      if (attempt === maxPortAttempts) throw new RouterError('PLATFORM_OPERATION_FAILED', `No port free of other sites was found for the site "${options.siteName}".`);
    }
    const avoid = new Set([...portsInUse(), host.#appPort]);
    host.#front = await SiteFront.open(
      () => ({ stopped: host.#stopped, appPort: host.#appPort }),
      (error) => options.logger.error({ site: options.siteName, err: error }, 'the HTTPS front of a fake site failed'),
      avoid,
    );
    return host;
  }

  /** The ports this site uses: its app's and its front's. */
  get ports(): readonly number[] {
    return this.#front === undefined ? [this.#appPort] : [this.#appPort, this.#front.port];
  }

  /** `127.0.0.1:<port>` of the HTTPS front: the site's defaultHostName. */
  get hostName(): string {
    return `127.0.0.1:${this.#front?.port ?? 0}`;
  }

  get appPort(): number {
    return this.#appPort;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The app's environment becomes exactly `settings`; a running app restarts to take them. */
  applySettings(settings: Readonly<Record<string, string>>): Promise<void> {
    return this.#exclusive(() => this.#platform.configure(this.#appName, settings));
  }

  /** Runs the package instead of what ran (PLATFORM_DEPLOY_FAILED with the host's words if it does not start). */
  deploy(zipFile: string, sha256: string): Promise<void> {
    return this.#exclusive(async () => {
      await this.#platform.deploy(this.#appName, { path: zipFile, sha256 });
      // A stopped site gets the new code but keeps not running, as on App Service.
      if (this.#stopped) await this.#replacePlatform();
    });
  }

  /** Whether code has been deployed (a running or stopped site may have none yet). */
  async deployed(): Promise<boolean> {
    const app = await this.#platform.get(this.#appName);
    return app?.deployment !== undefined;
  }

  /** Whether a process serves the app now. */
  async running(): Promise<boolean> {
    if (this.#stopped) return false;
    const app = await this.#platform.get(this.#appName);
    return app?.state === 'running';
  }

  stop(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#stopped) return;
      this.#stopped = true;
      await this.#replacePlatform();
    });
  }

  start(): Promise<void> {
    return this.#exclusive(async () => {
      if (!this.#stopped) return;
      this.#stopped = false;
      await this.#resume();
    });
  }

  /** Stops the app's process and starts a new one with the same code and settings. */
  restart(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#stopped) return;
      await this.#replacePlatform();
      await this.#resume();
    });
  }

  hostSecrets(): Promise<HostSecrets> {
    return this.#platform.hostSecrets(this.#appName);
  }

  setHostSecret(group: 'masterKey' | 'functionKeys' | 'systemKeys', name: string, value: string): Promise<HostSecrets> {
    return this.#exclusive(() => this.#platform.setHostSecret(this.#appName, group, name, value));
  }

  /** What the running host lists (GET /admin/functions with its master key); undefined when nothing runs. */
  async listFunctions(): Promise<readonly HostFunctionListing[] | undefined> {
    if (!(await this.running())) return undefined;
    const { masterKey } = await this.hostSecrets();
    const response = await request(`http://127.0.0.1:${this.#appPort}/admin/functions`, {
      method: 'GET',
      headers: { 'x-functions-key': masterKey },
      signal: AbortSignal.timeout(listingTimeoutMs),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      throw new RouterError('PLATFORM_OPERATION_FAILED', `The host of the site "${this.#options.siteName}" answered ${response.statusCode} to GET /admin/functions.`);
    }
    return JSON.parse(text) as HostFunctionListing[];
  }

  /** Stops everything the site runs and removes its files. */
  delete(): Promise<void> {
    return this.#exclusive(async () => {
      this.#gone = true;
      await this.#front?.close();
      await this.#platform.delete(this.#appName);
      await this.#platform.stop();
      await rm(this.#options.root, { recursive: true, force: true });
    });
  }

  /** Stops the site's process and front (the fake is stopping); its files stay. */
  shutdown(): Promise<void> {
    return this.#exclusive(async () => {
      this.#gone = true;
      await this.#front?.close();
      await this.#platform.stop();
    });
  }

  #openPlatform(): LocalPlatform {
    return new LocalPlatform({
      root: this.#options.root,
      owner: platformOwner,
      startTimeoutMs: this.#options.startTimeoutMs,
      logger: this.#options.logger.child({ site: this.#options.siteName }),
      onAppLog: (_appName, line) => this.#options.onAppLog?.(this.#options.siteName, line),
    });
  }

  /** Stops the process (LocalPlatform.stop is final) and opens a new platform over the same files. */
  async #replacePlatform(): Promise<void> {
    await this.#platform.stop();
    this.#platform = this.#openPlatform();
  }

  async #resume(): Promise<void> {
    const report = await this.#platform.resume();
    const failure = report.failed[0];
    if (failure !== undefined) throw failure.error;
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#gone) return Promise.reject(new RouterError('SHUTTING_DOWN', `The site "${this.#options.siteName}" is being deleted or the fake ARM is stopping.`));
    const next = this.#queue.then(operation, operation);
    this.#queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

/** Where a site's files live under the fake's data folder. */
export function siteRoot(dataDir: string, siteName: string): string {
  return path.join(dataDir, 'sites', siteName.toLowerCase());
}
