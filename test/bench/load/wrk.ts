import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrkLuaScript, wrkResultMarker } from './wrk-lua-script.js';

export interface WrkLoad {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationS: number;
  readonly pacedRate?: number | undefined;
}

export interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly errors: { connect: number; read: number; write: number; status: number; timeout: number };
  readonly latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Paced loads only: sends that started more than 1 ms behind their slot. */
  readonly late: number;
}

const threads = 1;

/** The wrk binary on PATH, or an error saying how to install it. */
export function requireWrk(): string {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    throw new Error('wrk is required and was not found on PATH; install it with `sudo apt-get install -y wrk` (Debian/Ubuntu)');
  }
  const output = probe.stdout + probe.stderr;
  return `wrk ${/^wrk (\S+)/m.exec(output)?.[1] ?? '(unknown version)'}`;
}

/** Writes the two Lua scripts (saturation, paced) into `dir` and returns a runner using them. */
export async function prepareWrk(dir: string, pacedRate: number): Promise<(load: WrkLoad) => Promise<WrkResult>> {
  const saturationScript = join(dir, 'saturation.lua');
  const pacedScript = join(dir, 'paced.lua');
  await writeFile(saturationScript, wrkLuaScript({ threads }));
  await writeFile(pacedScript, wrkLuaScript({ threads, pacedRate }));
  return (load) => runWrk(load, load.pacedRate === undefined ? saturationScript : pacedScript);
}

function runWrk(load: WrkLoad, script: string): Promise<WrkResult> {
  const args = [`-t${threads}`, `-c${load.connections}`, `-d${load.durationS}s`, '--timeout', '5s', '-s', script];
  for (const [name, value] of Object.entries(load.headers)) args.push('-H', `${name}: ${value}`);
  args.push(load.url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(wrkResultMarker));
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk ${args.join(' ')} failed (exit ${code}): ${(stderr || stdout).trim()}`));
        return;
      }
      resolve(JSON.parse(line.slice(wrkResultMarker.length)) as WrkResult);
    });
  });
}

export function errorCount(result: WrkResult): number {
  const e = result.errors;
  return e.connect + e.read + e.write + e.status + e.timeout;
}
