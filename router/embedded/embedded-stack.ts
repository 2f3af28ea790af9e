import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { azureSettingNames } from '../../deployer/platform/azure/azure-platform-settings.js';
import type { RunningAzurite } from '../../shared/storage/azurite.js';
import { TableVersionMapStore } from '../../shared/stores/table-version-map-store.js';
import { TrackingStores } from '../../shared/tracking-store/tracking-stores.js';
import { startControlPlane, type RunningControlPlane } from '../control-plane/control-plane-process.js';
import { serveFrontDoor, type RunningFrontDoor } from '../front-door/serve-front-door.js';
import { RouterError } from '../../shared/errors/router-error.js';
import { readFileIfExists, statIfExists } from '../../shared/files/optional-file.js';
import { TableAppKeyStore } from '../../shared/stores/table-app-key-store.js';
import type { RouterKeys } from '../../shared/secrets/app-keys.js';
import { readOrCreateKeptKey, type KeptKey } from './kept-keys.js';
import { startEmbeddedStorage } from './embedded-storage.js';
import type { BackendsFile } from './backends-file.js';
import { seedReleases } from './seed-releases.js';

export interface EmbeddedStackOptions {
  /**
   * Where Azurite's data, the control plane's packages, the apps (`platform/`) and the generated
   * admin key live (default `.data`). Keep it inside the project: the apps' code resolves
   * @azure/functions and durable-functions from the node_modules above it.
   */
  readonly dataDir: string;
  readonly port: number;
  /** Keys the environment gives (ROUTER_ADMIN_KEY, ROUTER_FUNCTION_KEY, ROUTER_DURABLE_KEY, ROUTER_SECRETS_KEY); the others are kept under `dataDir`. */
  readonly keys: Partial<Record<KeptKey, string | undefined>>;
  /** A Table storage connection string; default: the embedded Azurite. */
  readonly storage: string | undefined;
  /** Absolute folders a release may name its package from (by path). */
  readonly packageDirs: readonly string[];
  /** Hosts release package URLs may name (ROUTER_PACKAGE_HOSTS, comma-separated); none: package URLs are refused. */
  readonly packageHosts?: string | undefined;
  /** Versions to release at start when they are not deployed yet. */
  readonly backends: BackendsFile | undefined;
  readonly logger: Logger;
  /** Where apps run: this machine (`local`), or Azure with the Azure platform's environment (see azurePlatformEnvironment). */
  readonly platform?: { readonly kind: 'local' } | { readonly kind: 'azure'; readonly environment: Readonly<Record<string, string>> };
  /** ROUTER_APP_NAME_PREFIX and ROUTER_APP_QUOTA, for the control plane. */
  readonly appNamePrefix?: string | undefined;
  readonly appQuota?: number | undefined;
  /** ROUTER_PUBLIC_URL and ROUTER_TRUSTED_PROXIES, for the front door. */
  readonly publicUrl?: string | undefined;
  readonly trustedProxies?: readonly string[] | undefined;
  /** How long a stop waits for the requests in flight before it cuts them (default 30 s). */
  readonly shutdownDrainMs?: number;
  /** Control plane timings (tests shorten them). */
  readonly drainPollMs?: number;
  readonly decommissionGraceMs?: number;
}

export interface EmbeddedStack {
  readonly url: string;
  readonly adminKey: string;
  /** What clients present to the router (the durable API key is also in every URL it returns). */
  readonly routerKeys: RouterKeys;
  /** The keys this start generated (and stored under the data directory). */
  readonly generatedKeys: readonly KeptKey[];
  readonly controlPlaneUrl: string;
  /** The versions that serve (active), after the backends file's releases. */
  readonly apps: readonly { readonly version: string; readonly url: string }[];
  /** The versions the backends file released at this start. */
  readonly released: readonly string[];
  /** Settles once the stack has stopped (the front door closed, or the control plane died and took everything down). */
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

const defaultShutdownDrainMs = 30_000;
const idleSweepMs = 100;

/**
 * The embedded default: storage, the control plane in the local host (with its apps), and the
 * front door. `stop()` goes in the reverse order: the front door stops taking requests and answers
 * those in flight (cut after `shutdownDrainMs`), then the apps stop, then storage.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const { logger } = options;
  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    })();
    return stopping;
  };
  try {
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const platform = options.platform ?? { kind: 'local' as const };
    await claimDataDirFor(dataDir, platform.kind);
    const generatedKeys: KeptKey[] = [];
    const keyOf = async (name: KeptKey): Promise<string> => {
      const given = options.keys[name];
      if (given !== undefined) return given;
      const kept = await readOrCreateKeptKey(dataDir, name);
      if (kept.generated) generatedKeys.push(name);
      return kept.value;
    };
    const adminKey = await keyOf('admin');
    const routerKeys: RouterKeys = { function: await keyOf('function'), durableApi: await keyOf('durable') };
    const secretsKey = await keyOf('secrets');

    let azure = platform.kind === 'azure' ? { ...platform.environment } : undefined;
    let storage = options.storage;
    if (storage === undefined) {
      const azurite: RunningAzurite = await startEmbeddedStorage(dataDir);
      cleanups.push(() => azurite.stop());
      // Both endpoints: the apps' large durable values go to its Blob service.
      storage = azurite.connectionString;
      // On Azure the packages go to blob storage; without one of its own, the embedded Azurite's serves.
      if (azure !== undefined && azure[azureSettingNames.packageStorage] === undefined) azure = { ...azure, [azureSettingNames.packageStorage]: azurite.connectionString };
      logger.info({ port: azurite.port, blobPort: azurite.blobPort }, 'embedded Azurite started');
    }

    const seedDir = path.join(dataDir, 'control-plane', 'seed-packages');
    // The control plane lives as long as this process: a fresh key at every start is never written down.
    const controlPlaneKey = randomBytes(24).toString('base64url');
    const controlPlane: RunningControlPlane = await startControlPlane({
      storage,
      dataDir: path.join(dataDir, 'control-plane'),
      platformRoot: path.join(dataDir, 'platform'),
      key: controlPlaneKey,
      secretsKey,
      ...(azure === undefined ? {} : { azure }),
      ...(options.appNamePrefix === undefined ? {} : { appNamePrefix: options.appNamePrefix }),
      ...(options.appQuota === undefined ? {} : { appQuota: options.appQuota }),
      packageDirs: [...options.packageDirs, seedDir],
      ...(options.packageHosts === undefined ? {} : { packageHosts: [options.packageHosts] }),
      ...(options.drainPollMs === undefined ? {} : { drainPollMs: options.drainPollMs }),
      ...(options.decommissionGraceMs === undefined ? {} : { decommissionGraceMs: options.decommissionGraceMs }),
      onLog: (line) => forwardLog(logger, line),
    });
    let controlPlaneStopping = false;
    cleanups.push(async () => {
      controlPlaneStopping = true;
      await controlPlane.stop();
    });
    logger.info({ url: controlPlane.url }, 'control plane started');

    // Seeding comes before the front door takes requests: ready means seeded, and no release posted
    // meanwhile can be overridden by it.
    const store = new TableVersionMapStore(storage);
    const released = options.backends === undefined
      ? []
      : await seedReleases({ controlPlane: { url: controlPlane.url, key: controlPlaneKey }, store, stagingDir: seedDir, backends: options.backends, logger });

    // The front door polls every 500 ms: the SDK's own retry backoff would only hide an outage.
    const noRetries = { retryOptions: { maxRetries: 0 } };
    const versionMaps = new TableVersionMapStore(storage, { clientOptions: noRetries });
    const frontDoor: RunningFrontDoor = await serveFrontDoor({
      port: options.port,
      store: versionMaps,
      trackingStore: new TrackingStores(storage, { clientOptions: noRetries, versionMaps }),
      adminKey,
      routerKeys,
      appKeys: new TableAppKeyStore(storage, { secretsKey, clientOptions: noRetries }),
      controlPlane: { url: controlPlane.url, key: controlPlaneKey },
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
      ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
      logger,
      handleSignals: false,
    });
    cleanups.push(() => closeWithin(frontDoor, options.shutdownDrainMs ?? defaultShutdownDrainMs, logger));
    // The apps are the control plane's child processes: without it nothing serves, so the stack goes too.
    void controlPlane.exited.then(({ code, signal }) => {
      if (controlPlaneStopping) return;
      logger.error({ code, signal }, 'the control plane exited; stopping durable-router');
      void stop();
    });

    const { map } = await store.read();
    const apps = map.versions.filter((entry) => entry.state === 'active').map((entry) => ({ version: entry.latest, url: entry.app.url }));
    return { url: frontDoor.url, adminKey, routerKeys, generatedKeys, controlPlaneUrl: controlPlane.url, apps, released, closed: frontDoor.closed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Closes the front door once its requests in flight are answered, or cuts them after `drainMs`. */
async function closeWithin(frontDoor: RunningFrontDoor, drainMs: number, logger: Logger): Promise<void> {
  const { server } = frontDoor.app;
  // A keep-alive connection whose request is answered during the drain would hold the close up
  // until its idle timeout: it is closed as soon as it is idle.
  const idleSweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
  const deadline = setTimeout(() => {
    logger.warn({ drainMs }, 'requests still in flight when the stop\'s drain time ran out are cut');
    server.closeAllConnections();
  }, drainMs);
  try {
    await frontDoor.close();
  } finally {
    clearInterval(idleSweep);
    clearTimeout(deadline);
  }
}

/**
 * A data folder holds one router's version map, and its apps live on one platform: started on the
 * other platform, the map would route to apps that platform does not have.
 */
async function claimDataDirFor(dataDir: string, kind: 'local' | 'azure'): Promise<void> {
  const file = path.join(dataDir, 'platform-kind');
  // Folders from before this file was kept: the local platform's apps folder tells.
  const recorded = (await readFileIfExists(file))?.trim() || (await isDirectory(path.join(dataDir, 'platform', 'apps')) ? 'local' : undefined);
  if (recorded === undefined) {
    await writeFile(file, `${kind}\n`);
    return;
  }
  if (recorded !== kind) {
    throw new RouterError('INVALID_CONFIGURATION', `${dataDir} holds a router whose apps run on the ${recorded} platform; ROUTER_PLATFORM=${kind} needs a data folder of its own: pass another --data-dir (e.g. ${path.join(path.dirname(dataDir), `${path.basename(dataDir)}-${kind}`)}).`);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await statIfExists(dir))?.isDirectory() === true;
}

const pinoLevels: Readonly<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** The control plane's log lines (pino JSON) join this process's log at their own level. */
function forwardLog(logger: Logger, line: string): void {
  let entry: { level?: unknown; msg?: unknown } | undefined;
  try {
    entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
  } catch {
    // Not a log record (an app's console output): keep it, at debug level.
    logger.debug({ component: 'control-plane' }, line);
    return;
  }
  const level = pinoLevels[typeof entry.level === 'number' ? entry.level : 30] ?? 'info';
  const { level: _level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = entry as Record<string, unknown>;
  logger[level]({ component: 'control-plane', ...fields }, typeof msg === 'string' ? msg : '');
}
