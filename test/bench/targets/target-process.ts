import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetConfig, TargetMessage } from './target-protocol.js';

/** A server under measurement: its process tree's CPU is read from /proc/<pid>. */
export interface RunningTarget {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

const startTimeoutMs = 15_000;
const stopTimeoutMs = 3_000;

/**
 * Forks a target entry from this folder (compiled .js beside this file) and waits for its port.
 * `execArgv` are node's own flags for it (e.g. --cpu-prof).
 */
export function startNodeTarget(entry: string, config: TargetConfig, execArgv: readonly string[] = []): Promise<RunningTarget> {
  const path = fileURLToPath(new URL(`./${entry}.js`, import.meta.url));
  const child = fork(path, [], {
    execArgv: [...execArgv],
    env: { ...process.env, BENCH_TARGET_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      void stopChild(child).finally(() => reject(new Error(`${entry}: ${reason}${stderr ? `\n${stderr.trim()}` : ''}`)));
    };
    const timer = setTimeout(() => fail(`did not listen within ${startTimeoutMs} ms`), startTimeoutMs);
    child.once('exit', (code, signal) => fail(`exited before listening (code ${code}, signal ${signal})`));
    child.once('error', (error) => fail(error.message));
    child.on('message', (message: TargetMessage) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ pid: child.pid as number, port: message.port, stop: () => stopChild(child) });
    });
  });
}

/** SIGTERM, then SIGKILL if the process outlives `stopTimeoutMs`; resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
