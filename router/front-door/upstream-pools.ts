import type { FastifyBaseLogger } from 'fastify';
import { Pool } from 'undici';

export interface UpstreamPoolOptions {
  readonly connectionsPerApp: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

const maxConnectTimeoutMs = 10_000;

/** One keep-alive connection pool per app origin, kept while the version map names that app. */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: UpstreamPoolOptions;
  readonly #log: FastifyBaseLogger;

  constructor(options: UpstreamPoolOptions, log: FastifyBaseLogger) {
    this.#options = options;
    this.#log = log;
  }

  poolFor(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      const { connectionsPerApp, headersTimeoutMs, bodyTimeoutMs } = this.#options;
      pool = new Pool(origin, {
        connections: connectionsPerApp,
        headersTimeout: headersTimeoutMs,
        bodyTimeout: bodyTimeoutMs,
        connect: { timeout: Math.min(headersTimeoutMs, maxConnectTimeoutMs) },
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes the pools of apps the map no longer names, once their requests in flight finish. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (origins.has(origin)) continue;
      this.#pools.delete(origin);
      pool.close().catch((error: unknown) => this.#log.warn({ err: error, origin }, 'closing the connection pool of a removed app failed'));
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
