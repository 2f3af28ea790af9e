/**
 * Runs the control plane app in the local Functions host, as its own process (the embedded stack
 * and the tests use this). It exits when this process goes away; its apps, which are its own
 * child processes on the local platform, go with it and come back when it starts again.
 * Its host enforces keys, kept in `<dataDir>/secrets/`: its HTTP API functions are anonymous and
 * check the control plane's own key themselves (the front door forwards to them), while its
 * durable HTTP API and `/admin/*` refuse callers without its host's keys.
 */
import path from 'node:path';
import { ensureHostSecrets, type HostSecrets } from '../../deployer/host/keys/host-secrets.js';
import { startLocalAppProcess, type ProcessExit } from '../../deployer/platform/local/local-app-process.js';
import { controlPlaneTaskHubFor } from '../app-configuration/app-naming.js';
import { defaultRouterId } from '../app-configuration/router-identity.js';
import { writeControlPlaneAppDirectory } from './control-plane-app-directory.js';
import { controlPlaneSettingNames as names, readControlPlaneSettings } from './control-plane-settings.js';
import { defaultPackageLimits } from '../../deployer/platform/package/package-limits.js';

export interface ControlPlaneProcessOptions {
  /** Table storage of the version map, the shared tracking store and the control plane's own state. */
  readonly storage: string;
  /** The control plane's folder: its app directory, kept and staged packages. */
  readonly dataDir: string;
  /** Run this app directory (e.g. the unpacked `npm run package:control-plane` zip) instead of writing one from this checkout. */
  readonly appDir?: string;
  /** Where the local platform keeps apps; under the project, so that apps resolve its node_modules. */
  readonly platformRoot: string;
  /**
   * Runs the apps on Azure instead: the Azure platform's settings (AZURE_SUBSCRIPTION_ID,
   * ROUTER_RESOURCE_GROUP, ..., see azurePlatformEnvironment) and the credential's environment.
   */
  readonly azure?: Readonly<Record<string, string>>;
  /** Apps are named `<prefix>-v<major>-<minor>` (default `dr-<router id>`). */
  readonly appNamePrefix?: string;
  /** The key the control plane's API demands (at least 16 characters). */
  readonly key: string;
  /** Seals the apps' keys for the front doors (ROUTER_SECRETS_KEY, at least 32 characters): give them the same one. */
  readonly secretsKey: string;
  readonly routerId?: string;
  /** Absolute folders a release may name its package from. */
  readonly packageDirs?: readonly string[];
  /** Hosts release package URLs may name (ROUTER_PACKAGE_HOSTS); none: package URLs are refused. */
  readonly packageHosts?: readonly string[];
  /** Test only (ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS): hosts of `packageHosts` allowed to resolve to loopback. */
  readonly packageTestLoopbackHosts?: readonly string[];
  /** The control plane's own port; default: any free one. */
  readonly port?: number;
  readonly appPorts?: { readonly first: number; readonly last: number };
  readonly drainPollMs?: number;
  readonly decommissionGraceMs?: number;
  readonly healthTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  readonly mapPropagationMs?: number;
  readonly trackingStorePrefix?: string;
  /** At most this many apps at once (default 100). */
  readonly appQuota?: number;
  readonly startTimeoutMs?: number;
  /** Every line the control plane's host logs (JSON, pino). */
  readonly onLog?: (line: string) => void;
}

export interface RunningControlPlane {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Settles once the process has exited for whatever reason, with how it ended. */
  readonly exited: Promise<ProcessExit>;
  /** Its host's keys (secrets: for tests and tools on this machine, never to be logged). */
  hostSecrets(): Promise<HostSecrets>;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneProcessOptions): Promise<RunningControlPlane> {
  const routerId = options.routerId ?? defaultRouterId;
  const dataDir = path.resolve(options.dataDir);
  const settings: Record<string, string> = {
    AzureWebJobsStorage: options.storage,
    // Release uploads stream in up to the package limit.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(defaultPackageLimits.maxCompressedBytes),
    [names.storage]: options.storage,
    [names.routerId]: routerId,
    ...(options.azure ?? {}),
    [names.platform]: options.azure === undefined ? 'local' : 'azure',
    [names.platformRoot]: path.resolve(options.platformRoot),
    [names.dataDir]: dataDir,
    [names.key]: options.key,
    [names.secretsKey]: options.secretsKey,
    [names.taskHub]: controlPlaneTaskHubFor(routerId),
    [names.packageDirs]: (options.packageDirs ?? []).map((dir) => path.resolve(dir)).join(path.delimiter),
    ...optional(names.packageHosts, options.packageHosts?.join(',')),
    ...optional(names.packageTestLoopbackHosts, options.packageTestLoopbackHosts?.join(',')),
    ...optional(names.appPorts, options.appPorts === undefined ? undefined : `${options.appPorts.first}-${options.appPorts.last}`),
    ...optional(names.drainPollMs, options.drainPollMs),
    ...optional(names.decommissionGraceMs, options.decommissionGraceMs),
    ...optional(names.healthTimeoutMs, options.healthTimeoutMs),
    ...optional(names.healthIntervalMs, options.healthIntervalMs),
    ...optional(names.mapPropagationMs, options.mapPropagationMs),
    ...optional(names.trackingStorePrefix, options.trackingStorePrefix),
    ...optional(names.appQuota, options.appQuota),
    ...optional(names.appNamePrefix, options.appNamePrefix),
  };
  // Refuse bad settings here, with the same message the app would give, rather than as a failed start.
  readControlPlaneSettings(settings);
  const secretsDir = path.join(dataDir, 'secrets');
  let appDir = options.appDir === undefined ? undefined : path.resolve(options.appDir);
  if (appDir === undefined) {
    appDir = path.join(dataDir, 'app');
    await writeControlPlaneAppDirectory(appDir);
  }
  const host = await startLocalAppProcess({
    appDir,
    port: options.port ?? 0,
    settings,
    environment: 'isolated',
    secretsDir,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
  });
  return {
    url: host.url,
    port: host.port,
    pid: host.pid,
    exited: host.exited,
    hostSecrets: () => ensureHostSecrets(secretsDir),
    stop: () => host.stop(),
  };
}

function optional(name: string, value: string | number | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: String(value) };
}
