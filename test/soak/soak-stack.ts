/**
 * The router the soak runs against, as production runs it, on this machine: Azurite behind a TCP
 * proxy that can stall it, the control plane in its local host process, `durable-router serve`
 * as its own process, and the apps on the local platform. Every part can be killed and started
 * again on the same port, and any app process hung (SIGSTOP) for a while.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { devStorageConnectionString, startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { startControlPlane, type ControlPlaneProcessOptions, type RunningControlPlane } from '../../router/control-plane/control-plane-process.js';
import { stageAppAsVersion } from '../../router/embedded/staged-app.js';
import { fixtureApp, repositoryRoot } from '../deployer/host/fixture-apps.js';
import { processesRunningFrom } from '../fixtures/process-tree.js';
import { StorageFaultProxy } from '../fixtures/storage-fault-proxy.js';

export const soakKeys = {
  admin: 'soak-admin-key-0123456789abcdef',
  durable: 'soak-durable-key-0123456789abcdef',
  function: 'soak-function-key-0123456789abcdef',
  secrets: 'soak-secrets-key-0123456789abcdef-0123456789abcdef',
  controlPlane: 'soak-control-plane-key-0123456789',
} as const;

const serveEntry = path.join(repositoryRoot, 'dist', 'router', 'cli', 'main.js');

export class SoakStack {
  readonly workDir: string;
  readonly frontDoorUrl: string;
  readonly #azurite: RunningAzurite;
  readonly #storageProxy: StorageFaultProxy;
  readonly #blobProxy: StorageFaultProxy;
  readonly #controlPlaneOptions: ControlPlaneProcessOptions;
  readonly #frontDoorPort: number;
  readonly #log: (line: string) => void;
  #controlPlane: RunningControlPlane;
  #frontDoor: ChildProcess;
  #staged = 0;

  private constructor(parts: {
    workDir: string; azurite: RunningAzurite; storageProxy: StorageFaultProxy; blobProxy: StorageFaultProxy; controlPlaneOptions: ControlPlaneProcessOptions;
    controlPlane: RunningControlPlane; frontDoor: ChildProcess; frontDoorPort: number; log: (line: string) => void;
  }) {
    this.workDir = parts.workDir;
    this.#azurite = parts.azurite;
    this.#storageProxy = parts.storageProxy;
    this.#blobProxy = parts.blobProxy;
    this.#controlPlaneOptions = parts.controlPlaneOptions;
    this.#controlPlane = parts.controlPlane;
    this.#frontDoor = parts.frontDoor;
    this.#frontDoorPort = parts.frontDoorPort;
    this.frontDoorUrl = `http://127.0.0.1:${parts.frontDoorPort}`;
    this.#log = parts.log;
  }

  static async start(log: (line: string) => void): Promise<SoakStack> {
    const workDir = path.join(repositoryRoot, '.data', 'soak', randomUUID());
    await mkdir(path.join(workDir, 'packages'), { recursive: true });
    const azurite = await startAzurite({ inMemory: true, blob: true });
    const storageProxy = await StorageFaultProxy.start(azurite.port);
    const blobProxy = await StorageFaultProxy.start(azurite.blobPort as number);
    const storage = devStorageConnectionString(`http://127.0.0.1:${storageProxy.port}/devstoreaccount1`, `http://127.0.0.1:${blobProxy.port}/devstoreaccount1`);
    const controlPlaneOptions: ControlPlaneProcessOptions = {
      storage,
      dataDir: path.join(workDir, 'control-plane'),
      platformRoot: path.join(workDir, 'platform'),
      key: soakKeys.controlPlane,
      secretsKey: soakKeys.secrets,
      packageDirs: [path.join(workDir, 'packages')],
      drainPollMs: 1_000,
      // Long enough that a version drained a moment ago can still be made current again (a rollback).
      decommissionGraceMs: 60_000,
      mapPropagationMs: 1_000,
      healthTimeoutMs: 60_000,
      healthIntervalMs: 250,
      startTimeoutMs: 60_000,
      onLog: (line) => log(`[control plane] ${line}`),
    };
    const controlPlane = await startControlPlane(controlPlaneOptions);
    const fixed = { ...controlPlaneOptions, port: controlPlane.port };
    const frontDoorPort = await freePort();
    const frontDoor = await startFrontDoor(frontDoorPort, storage, controlPlane.url, log);
    return new SoakStack({ workDir, azurite, storageProxy, blobProxy, controlPlaneOptions: fixed, controlPlane, frontDoor, frontDoorPort, log });
  }

  /** A copy of the soak app as `version`; `broken` throws while it loads. */
  async stage(version: string, variant: 'good' | 'broken' = 'good'): Promise<string> {
    const dir = path.join(this.workDir, 'packages', `${version}-${variant}-${++this.#staged}`);
    await stageAppAsVersion(fixtureApp('soak-app'), dir, version);
    if (variant === 'broken') await writeFile(path.join(dir, 'src', 'functions.js'), 'throw new Error("broken on purpose");\n');
    return dir;
  }

  /** Waits until the front door has read a map with a current version (it re-reads it every 500 ms). */
  async routesToAVersion(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await request(`${this.frontDoorUrl}/api/version`, { headers: { 'x-functions-key': soakKeys.function } });
      await response.body.dump();
      if (response.statusCode === 200) return;
      if (Date.now() > deadline) throw new Error(`the front door does not route to a version: GET /api/version answers ${response.statusCode}`);
      await sleep(100);
    }
  }

  async killControlPlane(): Promise<void> {
    process.kill(this.#controlPlane.pid, 'SIGKILL');
    await this.#controlPlane.exited;
  }

  async restartControlPlane(): Promise<void> {
    this.#controlPlane = await startControlPlane(this.#controlPlaneOptions);
  }

  async killFrontDoor(): Promise<void> {
    const exited = new Promise((resolve) => this.#frontDoor.once('exit', resolve));
    this.#frontDoor.kill('SIGKILL');
    await exited;
  }

  async restartFrontDoor(): Promise<void> {
    this.#frontDoor = await startFrontDoor(this.#frontDoorPort, this.#controlPlaneOptions.storage, this.#controlPlane.url, this.#log);
  }

  stallStorage(): void {
    this.#storageProxy.stall();
    this.#blobProxy.stall();
  }

  async resumeStorage(): Promise<void> {
    await Promise.all([this.#storageProxy.resume(), this.#blobProxy.resume()]);
  }

  /** The processes of the local host running the app (found by its folder in their command lines). */
  async appProcesses(appName: string): Promise<number[]> {
    return processesRunningFrom(path.join(this.#controlPlaneOptions.platformRoot, 'apps', appName));
  }

  async stop(): Promise<void> {
    await this.resumeStorage().catch(() => undefined);
    if (this.#frontDoor.exitCode === null && this.#frontDoor.signalCode === null) await this.killFrontDoor().catch(() => undefined);
    await this.#controlPlane.stop().catch(() => undefined);
    await Promise.all([this.#storageProxy.close(), this.#blobProxy.close()]);
    await this.#azurite.stop();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

async function startFrontDoor(port: number, storage: string, controlPlaneUrl: string, log: (line: string) => void): Promise<ChildProcess> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    ROUTER_STORAGE: storage,
    ROUTER_PORT: String(port),
    ROUTER_HOST: '127.0.0.1',
    ROUTER_ADMIN_KEY: soakKeys.admin,
    ROUTER_DURABLE_KEY: soakKeys.durable,
    ROUTER_FUNCTION_KEY: soakKeys.function,
    ROUTER_SECRETS_KEY: soakKeys.secrets,
    ROUTER_CONTROL_PLANE_URL: controlPlaneUrl,
    ROUTER_CONTROL_PLANE_KEY: soakKeys.controlPlane,
  };
  const child = spawn(process.execPath, [serveEntry, 'serve'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listening = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: string): void => {
      output += chunk;
      for (const line of chunk.split('\n')) if (line.trim() !== '') log(`[front door] ${line}`);
      if (/listening/.test(output)) resolve();
    };
    child.stdout?.setEncoding('utf8').on('data', onLine);
    child.stderr?.setEncoding('utf8').on('data', onLine);
    child.once('exit', (code) => reject(new Error(`durable-router serve exited (${code}) before listening:\n${output}`)));
  });
  await listening;
  return child;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
