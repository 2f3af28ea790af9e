import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { ParentMessage } from '../../host/parent-channel.js';

export interface LocalAppProcessOptions {
  readonly appDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** App settings, as a Function App's application settings (they win over local.settings.json). */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * `inherit` (the default): the app sees this process's environment (without the router's admin
   * key) plus its settings. `isolated`: only what a Node process needs (PATH, HOME, ...) plus its
   * settings, as an app on Azure sees only its own app settings.
   */
  readonly environment?: 'inherit' | 'isolated';
  /** Where an embedded Azurite keeps its data if the app names no storage (default: under appDir). */
  readonly dataDir?: string;
  /** The host's secrets folder: given one, the host enforces its keys (made there on first start). */
  readonly secretsDir?: string;
  readonly startTimeoutMs?: number;
  /** Receives the host's own log lines (stderr) and the app's console output, e.g. to forward them with a prefix. */
  readonly onLog?: (line: string) => void;
  /**
   * `own-port` (the default): the host listens on `port` itself. `handed`: the caller holds `port`
   * (an AppListener) and hands the host its connections (`handConnection`); the host's durable
   * engine waits for `startEngine()`.
   */
  readonly connections?: 'own-port' | 'handed';
}

export interface LocalAppProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly taskHubName: string;
  readonly functions: readonly { readonly name: string; readonly trigger: string }[];
  /** The process has not exited. */
  readonly alive: boolean;
  /** Settles when the process has exited, for whatever reason, with how it ended. */
  readonly exited: Promise<ProcessExit>;
  /** The end of what the host wrote on stderr, to explain an exit. */
  outputTail(): string;
  /** Handed mode: gives the host a connection accepted on its port (closed if the host is gone). */
  handConnection(socket: Socket): void;
  /**
   * Handed mode: starts the host's durable engine; resolves once it runs. The engine takes the task
   * hub's lease if it is free, else asks the process that holds it to hand it over (`ownsTaskHub`).
   */
  startEngine(): Promise<void>;
  /** Resolves once the host's durable engine owns the app's task hub; rejects after `timeoutMs` or if the process exits. */
  ownsTaskHub(timeoutMs: number): Promise<void>;
  /**
   * Handed mode, once another process takes the app's new connections: the host answers what still
   * arrives on its connections with `Connection: close`, gives clients up to `drainTimeoutMs` to
   * close them, stops its engine and exits. Resolves when it has exited.
   */
  retire(drainTimeoutMs: number): Promise<void>;
  /** SIGTERM (then SIGKILL after 10 s); resolves when it has exited. */
  stop(): Promise<void>;
}

/** How a process ended: its exit code, or the signal that killed it (the other is null). */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Why a start failed; `port-in-use` is worth retrying once the port's previous owner is gone. */
export type StartFailureReason = 'port-in-use' | 'timeout' | 'exited' | 'host-error' | 'task-hub-not-taken';

const hostEntry = fileURLToPath(new URL('../../host/run-local-host.js', import.meta.url));
const stopTimeoutMs = 10_000;
const stderrTailChars = 2_000;
const isolatedVariables = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT', 'NODE_EXTRA_CA_CERTS', 'LOG_LEVEL'];

/**
 * Runs one Function App in the local host as a child process, and waits until it serves requests.
 * The child exits when this process goes away (its stdin closes), so no app outlives the router,
 * even one killed with SIGKILL. It runs in a process group of its own: a terminal's Ctrl+C reaches
 * only its parent, which stops it in its own time (after the requests in flight are answered).
 * Failures are APP_START_FAILED with `details.reason` (a StartFailureReason) and the host's output.
 */
export async function startLocalAppProcess(options: LocalAppProcessOptions): Promise<LocalAppProcess> {
  const handed = options.connections === 'handed';
  const args = [hostEntry, options.appDir, '--port', String(options.port ?? 0), '--exit-with-stdin'];
  if (options.dataDir !== undefined) args.push('--data-dir', options.dataDir);
  if (options.secretsDir !== undefined) args.push('--secrets-dir', options.secretsDir);
  if (handed) args.push('--handed-connections');
  const child = spawn(process.execPath, args, {
    env: { ...baseEnvironment(options.environment ?? 'inherit'), ...options.settings },
    stdio: handed ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderrTail = '';
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail = `${stderrTail}${line}\n`.slice(-stderrTailChars);
    options.onLog?.(line);
  });
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A child that cannot be spawned at all (e.g. EMFILE) reports on 'error' and never on 'exit'.
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const failure = (reason: StartFailureReason, explanation: string): RouterError => startError(options, reason, explanation, stderrTail);

  // Host events after the first: engine-started, error.
  const laterEvents = new Set<(event: Record<string, unknown>) => void>();
  const readyEvent = handed ? 'ready' : 'listening';
  const ready = await new Promise<ListeningEvent>((resolve, reject) => {
    let settled = false;
    const fail = (error: RouterError, kill: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (kill) child.kill('SIGKILL');
      // Only once the child is gone is its port free for a retry.
      void exited.then(() => reject(error));
    };
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => fail(failure('timeout', `it did not start within ${timeoutMs} ms`), true), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = parseEvent(line);
      if (typeof event?.['event'] !== 'string') {
        options.onLog?.(line);
      } else if (settled) {
        for (const listener of laterEvents) listener(event);
      } else if (event['event'] === readyEvent) {
        settled = true;
        clearTimeout(timer);
        resolve(event as unknown as ListeningEvent);
      } else if (event['event'] === 'error') {
        const message = `${String(event['code'])}: ${String(event['message'])}`;
        fail(failure(/EADDRINUSE/.test(message) ? 'port-in-use' : 'host-error', message), false);
      }
    });
    void exited.then((exit) => fail(failure('exited', `it ${describeExit(exit)}`), false));
    void spawnFailed.then((error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(failure('exited', `it could not be spawned (${error.message})`));
    });
  });

  /** Resolves at the event `decide` answers 'done' for; rejects with the error it answers, on timeout, or when the process exits. */
  const untilEvent = (
    decide: (event: Record<string, unknown>) => 'done' | RouterError | undefined,
    timeoutMs: number,
    timedOut: () => RouterError,
    exitedWhen: string,
  ): Promise<void> => new Promise<void>((resolve, reject) => {
    const settle = (error?: RouterError): void => {
      laterEvents.delete(listener);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const listener = (event: Record<string, unknown>): void => {
      const decision = decide(event);
      if (decision !== undefined) settle(decision === 'done' ? undefined : decision);
    };
    const timer = setTimeout(() => settle(timedOut()), timeoutMs);
    laterEvents.add(listener);
    void exited.then((exit) => settle(failure('exited', `it ${describeExit(exit)} ${exitedWhen}`)));
  });
  let owner = false;
  laterEvents.add((event) => {
    if (event['event'] === 'task-hub-owned') owner = true;
    else if (event['event'] === 'task-hub-released') owner = false;
  });

  const tell = (message: ParentMessage, handle?: Socket): void => {
    if (!handed) throw new RouterError('INTERNAL', 'Only a host handed its connections takes messages from its parent.');
    if (!child.connected) {
      handle?.destroy();
      return;
    }
    // A failed send (the child is exiting) leaves the socket with nobody to serve it.
    child.send(message, handle, (error) => {
      if (error) handle?.destroy();
    });
  };

  return {
    url: ready.url,
    port: ready.port,
    pid: child.pid!,
    taskHubName: ready.taskHubName,
    functions: ready.functions,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    exited,
    outputTail: () => stderrTail,
    handConnection: (socket) => tell({ type: 'connection' }, socket),
    startEngine: () => {
      const timeoutMs = options.startTimeoutMs ?? 60_000;
      const started = untilEvent((event) => {
        if (event['event'] === 'engine-started') return 'done';
        if (event['event'] === 'error') return failure('host-error', `its durable engine did not start: ${String(event['code'])}: ${String(event['message'])}`);
        return undefined;
      }, timeoutMs, () => failure('timeout', `its durable engine did not start within ${timeoutMs} ms`), 'before its durable engine started');
      tell({ type: 'start-engine' });
      return started;
    },
    ownsTaskHub: (timeoutMs) => (owner ? Promise.resolve() : untilEvent(
      (event) => (event['event'] === 'task-hub-owned' ? 'done' : undefined),
      timeoutMs,
      () => failure('task-hub-not-taken', `its durable engine did not get task hub "${ready.taskHubName}" within ${timeoutMs} ms: `
        + 'the process working it did not hand it over (another host on the same task hub and storage keeps its lease?)'),
      'before its durable engine owned the task hub',
    )),
    retire: async (drainTimeoutMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      tell({ type: 'drain', timeoutMs: drainTimeoutMs });
      const timer = setTimeout(() => child.kill('SIGKILL'), drainTimeoutMs + stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    },
    stop: () => stopChild(child, exited),
  };
}

interface ListeningEvent {
  readonly event: 'listening';
  readonly url: string;
  readonly port: number;
  readonly taskHubName: string;
  readonly functions: readonly { readonly name: string; readonly trigger: string }[];
}

function baseEnvironment(kind: 'inherit' | 'isolated'): NodeJS.ProcessEnv {
  if (kind === 'isolated') {
    return Object.fromEntries(isolatedVariables.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
  }
  // The router's own secrets are not the app's business.
  const { ROUTER_ADMIN_KEY: _adminKey, ...rest } = process.env;
  return rest;
}

function parseEvent(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    // The app itself may print JSON-looking lines on stdout: only the host's events count.
    return undefined;
  }
}

function startError(options: LocalAppProcessOptions, reason: StartFailureReason, explanation: string, stderrTail: string): RouterError {
  const tail = stderrTail.trim() === '' ? '' : `\nThe host's output ends with:\n${stderrTail}`;
  return new RouterError('APP_START_FAILED', `The app in ${options.appDir} could not be started: ${explanation}.${tail}`, {
    details: { reason, appDir: options.appDir, ...(options.port ? { port: options.port } : {}) },
  });
}

/** "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
}

async function stopChild(child: ChildProcess, exited: Promise<ProcessExit>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}
