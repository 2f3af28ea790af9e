/**
 * The demo's clients: while the story goes on, they keep calling the router as any client would,
 * naming no version — a version check every 250 ms and a small order every second, each order
 * followed to its end through the status URL the router gave back. Every answer is counted, so the
 * demo can show that nothing failed while versions came and went.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface TrafficTally {
  readonly requests: number;
  readonly failed: number;
  /** The first few failures, to show what went wrong. */
  readonly failures: readonly string[];
  /** Answers by the version that served them (x-routed-version). */
  readonly servedBy: Readonly<Record<string, number>>;
  readonly ordersStarted: number;
  /** Completed orders by the app version that shipped them (the workflow's output says). */
  readonly ordersCompletedBy: Readonly<Record<string, number>>;
  readonly ordersFailed: number;
}

const smallOrder = { customer: 'traffic', items: [{ sku: 'tea', quantity: 2, unitPrice: 4.5 }] };
const terminalStatuses = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export class ClientTraffic {
  readonly #url: string;
  readonly #loops: Promise<void>[] = [];
  readonly #followers = new Set<Promise<void>>();
  readonly #servedBy: Record<string, number> = {};
  readonly #completedBy: Record<string, number> = {};
  readonly #failures: string[] = [];
  #running = false;
  #requests = 0;
  #failed = 0;
  #ordersStarted = 0;
  #ordersFailed = 0;

  constructor(url: string) {
    this.#url = url;
  }

  start(): void {
    this.#running = true;
    this.#loops.push(this.#every(250, () => this.#checkVersion()), this.#every(1000, () => this.#placeOrder()));
  }

  /** Stops sending; orders already placed are still followed to their end (for at most `settleMs`). */
  async stop(settleMs = 10_000): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    await Promise.race([Promise.all(this.#followers), sleep(settleMs)]);
  }

  tally(): TrafficTally {
    return {
      requests: this.#requests,
      failed: this.#failed,
      failures: [...this.#failures],
      servedBy: { ...this.#servedBy },
      ordersStarted: this.#ordersStarted,
      ordersCompletedBy: { ...this.#completedBy },
      ordersFailed: this.#ordersFailed,
    };
  }

  async #every(intervalMs: number, work: () => Promise<void>): Promise<void> {
    while (this.#running) {
      const next = performance.now() + intervalMs;
      await work();
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  async #checkVersion(): Promise<void> {
    await this.#call('GET', '/api/version');
  }

  async #placeOrder(): Promise<void> {
    const answer = await this.#call('POST', '/api/orders', smallOrder);
    const statusUrl = (answer as { statusQueryGetUri?: unknown } | undefined)?.statusQueryGetUri;
    if (typeof statusUrl !== 'string') return;
    this.#ordersStarted += 1;
    const follower = this.#follow(statusUrl).finally(() => this.#followers.delete(follower));
    this.#followers.add(follower);
  }

  async #follow(statusUrl: string): Promise<void> {
    for (let attempt = 0; attempt < 120; attempt++) {
      await sleep(500);
      const status = (await this.#call('GET', new URL(statusUrl).pathname + new URL(statusUrl).search)) as { runtimeStatus?: string; output?: { appVersion?: string } } | undefined;
      if (status?.runtimeStatus === undefined || !terminalStatuses.has(status.runtimeStatus)) continue;
      if (status.runtimeStatus === 'Completed') {
        const version = status.output?.appVersion ?? 'unknown';
        this.#completedBy[version] = (this.#completedBy[version] ?? 0) + 1;
      } else {
        this.#ordersFailed += 1;
        this.#fail(`an order ended ${status.runtimeStatus}: ${statusUrl}`);
      }
      return;
    }
  }

  async #call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<unknown> {
    this.#requests += 1;
    try {
      const response = await request(new URL(path, this.#url), {
        method,
        ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
      });
      const text = await response.body.text();
      const version = response.headers['x-routed-version'];
      if (typeof version === 'string') this.#servedBy[version] = (this.#servedBy[version] ?? 0) + 1;
      if (response.statusCode >= 400) {
        this.#fail(`${method} ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
        return undefined;
      }
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      this.#fail(`${method} ${path} failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  #fail(reason: string): void {
    this.#failed += 1;
    if (this.#failures.length < 5) this.#failures.push(reason);
  }
}
