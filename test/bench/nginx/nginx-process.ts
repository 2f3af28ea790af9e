import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { stopChild, type RunningTarget } from '../targets/target-process.js';
import { modulesBuiltWithout, nginxConfig, type NginxRole } from './nginx-config.js';

export interface NginxInstallation {
  readonly binary: string;
  readonly version: string;
  readonly missingModules: ReadonlySet<string>;
}

export const nginxInstallHint = 'install it with `sudo apt-get install -y nginx-light` (Debian/Ubuntu)';

/**
 * The nginx binary, or undefined when it is not installed (the bench then skips nginx).
 * `choice` (env BENCH_NGINX) names another binary, or "none" to run without nginx.
 */
export function findNginx(choice: string | undefined): NginxInstallation | undefined {
  if (choice === 'none') return undefined;
  for (const binary of choice === undefined ? ['nginx', '/usr/sbin/nginx'] : [choice]) {
    const probe = spawnSync(binary, ['-V'], { encoding: 'utf8' });
    if (probe.error !== undefined) continue;
    const output = probe.stdout + probe.stderr;
    const version = /nginx version: (\S+)/.exec(output)?.[1] ?? 'nginx';
    return { binary, version, missingModules: modulesBuiltWithout(output) };
  }
  return undefined;
}

const readyTimeoutMs = 5_000;

/** Starts nginx with a generated config in its own directory under `parentDir`, on a free port. */
export async function startNginx(nginx: NginxInstallation, parentDir: string, role: NginxRole): Promise<RunningTarget> {
  const dir = join(parentDir, role.kind === 'proxy' ? 'nginx-proxy' : 'nginx-backend');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  await writeFile(configPath, nginxConfig({ role, dir, port, missingModules: nginx.missingModules }));
  const errorLog = join(dir, 'error.log');
  const child = spawn(nginx.binary, ['-p', dir, '-c', configPath, '-e', errorLog], { stdio: 'ignore' });
  const exited = new Promise<string>((resolve) => child.once('exit', (code) => resolve(`nginx exited with code ${code}`)));
  const spawnFailed = new Promise<string>((resolve) => child.once('error', (error) => resolve(error.message)));
  const failure = await Promise.race([waitForPort(port), exited, spawnFailed]);
  if (failure !== undefined) {
    await stopChild(child);
    const log = await readFile(errorLog, 'utf8').catch((error: unknown) => `(no error log: ${String(error)})`);
    throw new Error(`nginx (${role.kind}) did not start: ${failure}\n${log.trim()}`);
  }
  return { pid: child.pid as number, port, stop: () => stopChild(child) };
}

/** A port the kernel just handed out on 127.0.0.1; nginx needs it written in its config. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves undefined once something accepts connections on the port, or a reason after the timeout. */
async function waitForPort(port: number): Promise<string | undefined> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (await accepts(port)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return `nothing listened on 127.0.0.1:${port} within ${readyTimeoutMs} ms`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    // Refused while nginx is still starting: the caller tries again.
    socket.once('error', () => resolve(false));
  });
}
