import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';

/** What the front door last saw of one app. */
export interface AppHealth {
  readonly status: 'unknown' | 'up' | 'down';
  /** When it went down (ISO time), while it is down. */
  readonly downSince: string | undefined;
  /** Why the probes that found it down failed (no secret: a code or a status). */
  readonly reason: string | undefined;
}

export interface AppHealthOptions {
  /** Time between the end of one probe of an app and the start of the next (ms). */
  readonly intervalMs: number;
  /** How long a probe waits for the app's response headers (ms). */
  readonly timeoutMs: number;
}

/** An app is down after this many probes in a row failed: one slow answer under load is not an outage. */
const failuresToDown = 2;

interface Probed {
  readonly url: string;
  failures: number;
  health: AppHealth;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

const unknown: AppHealth = Object.freeze({ status: 'unknown', downSince: undefined, reason: undefined });

/**
 * Probes each app the front door routes to: a shallow `GET` of the app's root URL on its own
 * connection, any HTTP answer meaning the app is up (its process runs and answers), no answer
 * within `timeoutMs` or no connection meaning it failed. One probe per app at a time, the next
 * one `intervalMs` after it ended, so a slow app never draws a pile of probes.
 */
export class AppHealthMonitor {
  readonly #options: AppHealthOptions;
  readonly #log: FastifyBaseLogger;
  readonly #apps = new Map<string, Probed>();
  readonly #agent = new Agent({ connections: 1, keepAliveTimeout: 1_000 });
  #running = false;

  constructor(options: AppHealthOptions, log: FastifyBaseLogger) {
    this.#options = options;
    this.#log = log;
  }

  start(): void {
    this.#running = true;
    for (const app of this.#apps.values()) this.#schedule(app, 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const app of this.#apps.values()) this.#forget(app);
    this.#apps.clear();
    await this.#agent.close();
  }

  /** The apps to watch (by URL), from the version map; the others are forgotten. */
  watch(urls: ReadonlySet<string>): void {
    for (const [url, app] of this.#apps) {
      if (urls.has(url)) continue;
      this.#forget(app);
      this.#apps.delete(url);
    }
    for (const url of urls) {
      if (this.#apps.has(url)) continue;
      const app: Probed = { url, failures: 0, health: unknown, timer: undefined, stopped: false };
      this.#apps.set(url, app);
      if (this.#running) this.#schedule(app, 0);
    }
  }

  healthOf(url: string): AppHealth {
    return this.#apps.get(url)?.health ?? unknown;
  }

  #forget(app: Probed): void {
    app.stopped = true;
    if (app.timer !== undefined) clearTimeout(app.timer);
  }

  #schedule(app: Probed, delayMs: number): void {
    if (app.stopped || !this.#running) return;
    app.timer = setTimeout(() => void this.#probe(app), delayMs);
    app.timer.unref();
  }

  async #probe(app: Probed): Promise<void> {
    app.timer = undefined;
    const { timeoutMs } = this.#options;
    try {
      const response = await request(`${app.url.replace(/\/+$/, '')}/`, {
        dispatcher: this.#agent, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      this.#note(app, undefined);
    } catch (error) {
      this.#note(app, reasonOf(error, timeoutMs));
    }
    this.#schedule(app, this.#options.intervalMs);
  }

  #note(app: Probed, failure: string | undefined): void {
    if (app.stopped) return;
    const previous = app.health;
    if (failure === undefined) {
      app.failures = 0;
      if (previous.status === 'down') this.#log.info({ app: app.url, downSince: previous.downSince }, 'an app the front door routes to answers again');
      if (previous.status !== 'up') app.health = Object.freeze({ status: 'up', downSince: undefined, reason: undefined });
      return;
    }
    app.failures += 1;
    if (app.failures < failuresToDown && previous.status !== 'down') return;
    if (previous.status !== 'down') {
      this.#log.warn({ app: app.url, reason: failure }, 'an app the front door routes to does not answer; its version is shown as down');
    }
    app.health = Object.freeze({ status: 'down', downSince: previous.downSince ?? new Date().toISOString(), reason: failure });
  }
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown; name?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}
