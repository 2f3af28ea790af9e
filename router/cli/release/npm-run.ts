import { spawn } from 'node:child_process';

export interface NpmRun {
  readonly code: number | null;
  /** The last lines of what npm and the scripts it ran wrote (stdout and stderr, interleaved). */
  readonly tail: readonly string[];
}

const tailLines = 20;

/**
 * Runs `npm <args>` in `cwd` with the user's environment (their registry, proxy and cache
 * settings), its output kept only as its last lines for an error message. npm is a command
 * script on Windows, which only a shell runs.
 */
export function runNpm(args: readonly string[], cwd: string): Promise<NpmRun> {
  const child = spawn('npm', [...args], { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  const lines: string[] = [];
  let partial = '';
  const take = (chunk: string): void => {
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line.trim() !== ''));
    if (lines.length > tailLines) lines.splice(0, lines.length - tailLines);
  };
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (partial.trim() !== '') lines.push(partial);
      resolve({ code, tail: lines.slice(-tailLines) });
    });
  });
}
