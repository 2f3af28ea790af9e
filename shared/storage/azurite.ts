import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RouterError } from '../errors/router-error.js';

export type AzuriteOptions = ({ readonly inMemory: true } | { readonly location: string }) & {
  /** Also run the Blob service (its own process); default: the Table service only. */
  readonly blob?: boolean;
  /**
   * Serve HTTPS with this certificate and key (PEM files); with `oauth`, Microsoft Entra bearer
   * tokens are taken as well as the account key (Azurite's "basic" OAuth checks a token's issuer,
   * audience and lifetime, not its signature), so identity-based clients can be tried locally.
   */
  readonly https?: { readonly cert: string; readonly key: string; readonly oauth?: boolean };
};

export interface RunningAzurite {
  /** The dev account with every endpoint that runs (TableEndpoint, and BlobEndpoint with `blob`). */
  readonly connectionString: string;
  /** Table endpoint of the dev account, e.g. http://127.0.0.1:PORT/devstoreaccount1. */
  readonly tableUrl: string;
  /** The Table service's port. */
  readonly port: number;
  /** Blob endpoint of the dev account when the Blob service runs, e.g. http://127.0.0.1:PORT/devstoreaccount1. */
  readonly blobUrl: string | undefined;
  readonly blobPort: number | undefined;
  /** Stops the servers (SIGTERM, then SIGKILL); safe to call more than once. */
  stop(): Promise<void>;
}

type AzuriteService = 'table' | 'blob';

interface RunningService {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const devAccountName = 'devstoreaccount1';
// Azurite's documented, public development key: not a secret.
const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const startupTimeoutMs = 30_000;
const stopTimeoutMs = 5_000;
const pollIntervalMs = 50;
const startedAnnouncements: Record<AzuriteService, RegExp> = {
  table: /Azurite Table service successfully started/,
  blob: /Azurite Blob service successfully listens/,
};
const outputTailChars = 2_000;
const portPickAttempts = 3;
const childEntry = fileURLToPath(new URL('./azurite-service-process.js', import.meta.url));

export function devStorageConnectionString(tableUrl: string, blobUrl?: string): string {
  const blobEndpoint = blobUrl === undefined ? '' : `BlobEndpoint=${blobUrl};`;
  return `DefaultEndpointsProtocol=http;AccountName=${devAccountName};AccountKey=${devAccountKey};TableEndpoint=${tableUrl};${blobEndpoint}`;
}

/** The ports the services must listen on; a service without one takes a free port. */
export interface AzuritePorts {
  readonly table?: number | undefined;
  readonly blob?: number | undefined;
}

/**
 * Starts Azurite's Table server (and with `blob` its Blob server) as child processes on 127.0.0.1
 * and waits until they accept connections.
 */
export async function startAzurite(options: AzuriteOptions, ports: AzuritePorts = {}): Promise<RunningAzurite> {
  if ('location' in options) await mkdir(options.location, { recursive: true });
  const [tableStart, blobStart] = await Promise.allSettled([
    startService('table', options, ports.table),
    options.blob === true ? startService('blob', options, ports.blob) : Promise.resolve(undefined),
  ]);
  if (tableStart.status === 'rejected' || blobStart.status === 'rejected') {
    await Promise.all([tableStart, blobStart].map((start) => (start.status === 'fulfilled' ? start.value?.stop() : undefined)));
    throw tableStart.status === 'rejected' ? tableStart.reason : (blobStart as PromiseRejectedResult).reason;
  }
  const table = tableStart.value;
  const blob = blobStart.value;
  return {
    connectionString: devStorageConnectionString(table.url, blob?.url),
    tableUrl: table.url,
    port: table.port,
    blobUrl: blob?.url,
    blobPort: blob?.port,
    stop: async () => {
      await Promise.all([table.stop(), blob?.stop()]);
    },
  };
}

async function startService(service: AzuriteService, options: AzuriteOptions, port: number | undefined): Promise<RunningService> {
  for (let attempt = 1; ; attempt++) {
    const chosenPort = port ?? (await pickFreePort());
    try {
      return await launch(service, options, chosenPort);
    } catch (error) {
      // Another process may take the free port between picking and binding it: pick again.
      const portTaken = error instanceof AzuriteStartError && /EADDRINUSE/.test(error.outputTail);
      if (port !== undefined || !portTaken || attempt >= portPickAttempts) throw toRouterError(service, chosenPort, error);
    }
  }
}

class AzuriteStartError extends Error {
  constructor(message: string, readonly outputTail: string) {
    super(outputTail ? `${message}. Azurite's output ends with:\n${outputTail}` : message);
  }
}

function toRouterError(service: AzuriteService, port: number, error: unknown): unknown {
  if (!(error instanceof AzuriteStartError)) return error;
  const name = service === 'table' ? 'Table' : 'Blob';
  return new RouterError('STORE_UNAVAILABLE', `Could not start Azurite's ${name} service on ${host}:${port}: ${error.message}`, { cause: error });
}

async function launch(service: AzuriteService, options: AzuriteOptions, port: number): Promise<RunningService> {
  const args = [
    childEntry,
    service,
    `--${service}Host`, host,
    `--${service}Port`, String(port),
    '--disableTelemetry', '--silent', '--skipApiVersionCheck',
    ...('location' in options ? ['--location', options.location] : ['--inMemoryPersistence']),
    ...(options.https === undefined ? [] : ['--cert', options.https.cert, '--key', options.https.key, ...(options.https.oauth === true ? ['--oauth', 'basic'] : [])]),
  ];
  // A process group of its own: a terminal's Ctrl+C must not stop storage under the apps still
  // answering; it goes when this process stops it, or when its stdin closes (we died).
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  liveChildren.add(child);
  ensureExitHook();
  // Azurite must not keep its parent alive (node:test runs file-level after() hooks only once the loop is idle).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  let output = '';
  let announcedStart = false;
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-outputTailChars);
    announcedStart ||= startedAnnouncements[service].test(output);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  // A stdin write error only means the child is gone, which the exit handling reports.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    const gone = (): void => {
      liveChildren.delete(child);
      resolve();
    };
    child.once('exit', gone);
    // Spawning itself failed: there will be no 'exit'.
    child.once('error', (error) => {
      output += `\n${error.message}`;
      if (child.pid === undefined) gone();
    });
  });

  const stop = once(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await settlesWithin(exited, stopTimeoutMs))) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  try {
    await waitUntilListening(port, child, exited, () => output, () => announcedStart);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${options.https === undefined ? 'http' : 'https'}://${host}:${port}/${devAccountName}`, port, stop };
}

/**
 * Ready once Azurite says it listens and a connection succeeds: a connection alone could reach
 * another server already on that port while ours is failing with EADDRINUSE.
 */
async function waitUntilListening(
  port: number, child: ChildProcess, exited: Promise<void>, output: () => string, announcedStart: () => boolean,
): Promise<void> {
  const deadline = Date.now() + startupTimeoutMs;
  let hasExited = false;
  void exited.then(() => { hasExited = true; });
  for (;;) {
    if (hasExited) {
      throw new AzuriteStartError(`Azurite exited during startup (code ${child.exitCode ?? child.signalCode})`, output().trim());
    }
    if (announcedStart() && (await acceptsConnections(port))) return;
    if (Date.now() > deadline) {
      throw new AzuriteStartError(`Azurite did not accept connections on ${host}:${port} within ${startupTimeoutMs} ms`, output().trim());
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const free = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(free)));
    });
  });
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Children also stop by themselves when our end of their stdin closes; this makes it immediate. */
function ensureExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGTERM');
  });
}
