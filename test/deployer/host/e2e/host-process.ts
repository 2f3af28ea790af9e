import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { hostEntry } from '../fixture-apps.js';

export interface ListeningEvent {
  readonly event: 'listening';
  readonly url: string;
  readonly port: number;
  readonly taskHubName: string;
  readonly app: { readonly name: string | null; readonly version: string | null };
  readonly functions: readonly { readonly name: string; readonly trigger: string }[];
  readonly unsupported: readonly { readonly function: string; readonly bindingType: string }[];
}

export interface HostProcess {
  readonly child: ChildProcess;
  readonly listening: ListeningEvent;
  /** Every JSON event line the host printed on stdout so far. */
  readonly events: Record<string, unknown>[];
  /** Everything the host wrote on stderr (its log). */
  stderr(): string;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the host gets no chance to clean up. */
  kill(): Promise<void>;
}

export interface StartHostOptions {
  readonly appDir: string;
  readonly args?: readonly string[];
  /** The child's whole environment (the parent's is not inherited, so tests are not influenced by it). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** The variables a child Node process needs from ours; storage settings deliberately excluded. */
export function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT'];
  return Object.fromEntries(keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])));
}

/** Resolves once the child has exited and its output has been read to the end. */
function exited(child: ChildProcess): Promise<number | null> {
  if (child.stdout?.closed && (child.exitCode !== null || child.signalCode !== null)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

/**
 * Spawns the host entry and waits for its `listening` line, or rejects with its error line and
 * log if it exits or times out first.
 */
export async function startHostProcess(options: StartHostOptions): Promise<HostProcess> {
  const child = spawn(process.execPath, [hostEntry, options.appDir, '--port', '0', ...(options.args ?? [])], {
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timeoutMs = options.timeoutMs ?? 60_000;

  const listening = await new Promise<ListeningEvent>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The host did not start within ${timeoutMs} ms.\n${stderr}`));
    }, timeoutMs);
    lines.on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // the app's own console output shares stdout; only JSON event lines matter here
      }
      events.push(event);
      if (event['event'] === 'listening') {
        clearTimeout(timer);
        resolve(event as unknown as ListeningEvent);
      } else if (event['event'] === 'error') {
        clearTimeout(timer);
        reject(Object.assign(new Error(`The host failed to start: ${String(event['code'])}: ${String(event['message'])}`), { event }));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The host exited (code ${code}) before listening.\n${stderr}`));
    });
  });

  return {
    child,
    listening,
    events,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** Polls a durable status URL until the instance reaches a terminal state. */
export async function waitForTerminalStatus(
  statusUrl: string,
  timeoutMs = 60_000,
): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown; [key: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(statusUrl);
    const body = (await response.json()) as { runtimeStatus: string; output: unknown; customStatus: unknown };
    if (['Completed', 'Failed', 'Terminated', 'Canceled'].includes(body.runtimeStatus)) return body;
    if (Date.now() > deadline) throw new Error(`Still ${body.runtimeStatus} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
