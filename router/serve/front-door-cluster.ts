/**
 * `serve --workers N`: N processes of the front door share one port through node:cluster (the
 * primary hands connections out). Every worker reads the version map on its own, as separate
 * front doors behind a load balancer do, so none depends on another. The primary replaces a
 * worker that dies, and on SIGTERM or SIGINT lets every worker finish its requests and exits.
 */
import { CrashRestarts, defaultCrashRestartPolicy, type CrashRestartPolicy } from '../../deployer/platform/local/crash-restarts.js';
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { RunningFrontDoor } from '../front-door/serve-front-door.js';

export interface ServingFrontDoor {
  /** Where it listens once every worker does, e.g. "http://127.0.0.1:7070". */
  readonly url: string;
  /** Settles with the process's exit code once every worker has stopped. */
  readonly stopped: Promise<number>;
}

const signals = ['SIGTERM', 'SIGINT'] as const;
/**
 * The platform's rule for crashed apps, for workers: one that lived a while is replaced at once,
 * one that died soon after starting after a doubling delay. The cluster never gives up on its own
 * (it fails when every worker died young).
 */
const workerRestarts: CrashRestartPolicy = { ...defaultCrashRestartPolicy, firstDelayMs: 1_000, maxQuickCrashes: Number.POSITIVE_INFINITY };

/**
 * In a cluster worker: serve the front door `start` builds (listening on the cluster's shared
 * port, without its own signal handling), and close it once when told to stop or when the
 * primary goes away.
 */
export async function serveAsWorker(start: () => Promise<RunningFrontDoor>, logger: Logger): Promise<void> {
  // Listened for before the server starts: a stop that arrives while it starts must not kill it mid-way.
  let stopRequested = false;
  const started: { frontDoor?: RunningFrontDoor } = {};
  let closing: Promise<void> | undefined;
  const close = (): void => {
    stopRequested = true;
    const { frontDoor } = started;
    if (frontDoor === undefined) return;
    closing ??= frontDoor.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'the front door did not close cleanly');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, close);
  process.on('disconnect', close);
  started.frontDoor = await start();
  if (stopRequested) close();
}

export async function serveWithWorkers(options: { readonly workers: number; readonly host: string; readonly logger: Logger }): Promise<ServingFrontDoor> {
  const { workers, host: configuredHost, logger } = options;
  let stopping = false;
  const restarts = new CrashRestarts(workerRestarts);
  const startedAt = new Map<Worker, number>();
  let settleStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    settleStopped = resolve;
  });
  let exitCode = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    return worker;
  };
  const url = new Promise<string>((resolve, reject) => {
    let listening = 0;
    cluster.on('listening', (_worker, address) => {
      if (++listening !== workers) return;
      const host = address.address === null || address.address === undefined ? configuredHost : address.address;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    });
    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
      startedAt.delete(worker);
      if (stopping) {
        // Ended by the SIGTERM sent to it before it could listen for it: it was still starting and served nothing.
        if (code !== 0 && signal !== 'SIGTERM') exitCode = 1;
        if (startedAt.size === 0) settleStopped(exitCode);
        return;
      }
      logger.error({ worker: worker.process.pid, code, signal }, 'a front door worker died; starting another');
      if (startedAt.size === 0 && lived < workerRestarts.healthyLifetimeMs) {
        // Every worker is gone soon after starting: the same fault would kill the next ones too.
        reject(new Error(`every front door worker exited (the last with code ${String(code)}); see the log above`));
      }
      const decision = restarts.crashed(lived);
      setTimeout(() => {
        if (!stopping) fork();
      }, decision.restart ? decision.delayMs : 0).unref();
    });
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the front door workers');
    if (startedAt.size === 0) settleStopped(exitCode);
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
  };
  for (const signal of signals) process.on(signal, stop);
  for (let i = 0; i < workers; i++) fork();
  try {
    return { url: await url, stopped };
  } catch (error) {
    stop('SIGTERM');
    await stopped;
    throw error;
  }
}
