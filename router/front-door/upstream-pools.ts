import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { buildConnector, Pool } from 'undici';
import { UpstreamQueue } from './upstream-queue.js';

export interface UpstreamPoolOptions {
  readonly connectionsPerApp: number;
  readonly maxQueuedPerApp: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

const maxConnectTimeoutMs = 10_000;

/** Socket errors on connections that had already carried data from the app (see failedOnReusedConnection). */
const reusedConnectionErrors = new WeakSet<Error>();

/**
 * Whether the connection that `error` broke had carried an earlier answer: undici's own socket
 * errors say what the socket had read; system errors (ECONNRESET) were noted as they happened.
 */
export function failedOnReusedConnection(error: Error): boolean {
  const bytesRead = (error as { socket?: { bytesRead?: unknown } }).socket?.bytesRead;
  return (typeof bytesRead === 'number' && bytesRead > 0) || reusedConnectionErrors.has(error);
}

function noteReuseOnError(socket: Socket): void {
  // Registered before undici's own listener, so the note is there when the request's handler hears of it.
  socket.on('error', (error: Error) => {
    if (socket.bytesRead > 0) reusedConnectionErrors.add(error);
  });
}

/** One keep-alive connection pool (and its queue) per app origin, kept while the version map names that app. */
export class UpstreamPools {
  readonly #pools = new Map<string, UpstreamQueue>();
  readonly #options: UpstreamPoolOptions;
  readonly #log: FastifyBaseLogger;

  constructor(options: UpstreamPoolOptions, log: FastifyBaseLogger) {
    this.#options = options;
    this.#log = log;
  }

  poolFor(origin: string): UpstreamQueue {
    let queue = this.#pools.get(origin);
    if (queue === undefined) {
      const { connectionsPerApp, maxQueuedPerApp, headersTimeoutMs, bodyTimeoutMs } = this.#options;
      const connect = buildConnector({ timeout: Math.min(headersTimeoutMs, maxConnectTimeoutMs) });
      const pool = new Pool(origin, {
        connections: connectionsPerApp,
        headersTimeout: headersTimeoutMs,
        bodyTimeout: bodyTimeoutMs,
        connect: (options, callback) => connect(options, (...args) => {
          // A failed connect calls back with the error alone.
          if (args[0] === null) noteReuseOnError(args[1]);
          callback(...args);
        }),
      });
      queue = new UpstreamQueue(pool, connectionsPerApp, maxQueuedPerApp);
      this.#pools.set(origin, queue);
    }
    return queue;
  }

  /** Closes the pools of apps the map no longer names, once their requests in flight finish. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [origin, queue] of this.#pools) {
      if (origins.has(origin)) continue;
      this.#pools.delete(origin);
      queue.close().catch((error: unknown) => this.#log.warn({ err: error, origin }, 'closing the connection pool of a removed app failed'));
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((queue) => queue.close()));
  }
}
