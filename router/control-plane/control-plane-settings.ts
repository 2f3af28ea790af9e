/**
 * The control plane's configuration: app settings of the control plane app (environment
 * variables of its host process, locally and on Azure), validated once. Pure.
 */
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { minAdminKeyLength } from '../../shared/config/router-environment.js';
import { describeStorageConnectionString } from '../../shared/storage/table-client-factory.js';
import { minSecretsKeyLength } from '../../shared/secrets/secret-box.js';
import { defaultTrackingStoreNamePrefix, trackingStorePrefixPattern } from '../../shared/tracking-store/tracking-store-schema.js';
import { readAzurePlatformSettings, type AzurePlatformSettings } from '../../deployer/platform/azure/azure-platform-settings.js';
import { appNamePrefixPattern, defaultAppNamePrefix, maxAppNamePrefixLength } from '../app-configuration/app-naming.js';
import { parseRouterId } from '../app-configuration/router-identity.js';
import { parsePackageHosts } from '../releases/package/package-host-allowlist.js';

export const controlPlaneSettingNames = Object.freeze({
  storage: 'ROUTER_STORAGE',
  routerId: 'ROUTER_ID',
  platform: 'ROUTER_PLATFORM',
  platformRoot: 'ROUTER_PLATFORM_ROOT',
  appNamePrefix: 'ROUTER_APP_NAME_PREFIX',
  appPorts: 'ROUTER_APP_PORTS',
  packageDirs: 'ROUTER_PACKAGE_DIRS',
  packageHosts: 'ROUTER_PACKAGE_HOSTS',
  /** Test setting: hosts (also in ROUTER_PACKAGE_HOSTS) whose loopback addresses downloads may use. */
  packageTestLoopbackHosts: 'ROUTER_PACKAGE_TEST_LOOPBACK_HOSTS',
  dataDir: 'ROUTER_CONTROL_PLANE_DATA',
  key: 'ROUTER_CONTROL_PLANE_KEY',
  secretsKey: 'ROUTER_SECRETS_KEY',
  appQuota: 'ROUTER_APP_QUOTA',
  taskHub: 'ROUTER_CONTROL_PLANE_TASKHUB',
  trackingStorePrefix: 'ROUTER_TRACKING_STORE_PREFIX',
  drainPollMs: 'ROUTER_DRAIN_POLL_MS',
  decommissionGraceMs: 'ROUTER_DECOMMISSION_GRACE_MS',
  healthTimeoutMs: 'ROUTER_HEALTH_TIMEOUT_MS',
  healthIntervalMs: 'ROUTER_HEALTH_INTERVAL_MS',
  mapPropagationMs: 'ROUTER_MAP_PROPAGATION_MS',
});

export const controlPlaneDefaults = Object.freeze({
  drainPollMs: 5_000,
  /** Between drained and decommissioned: the window in which a rollback still finds the app deployed. */
  decommissionGraceMs: 10_000,
  healthTimeoutMs: 60_000,
  healthIntervalMs: 500,
  /**
   * Between a version's map entry saying `decommissioned` and its app being deleted: long enough
   * for every front door to re-read the map (they do every 500 ms by default), so none still
   * routes a call to the app as it goes.
   */
  mapPropagationMs: 2_000,
  /** The application-routing guidance's default limit of Function Apps per subscription. */
  appQuota: 100,
});

export interface LocalPlatformSettings {
  readonly kind: 'local';
  readonly root: string;
  readonly ports: { readonly first: number; readonly last: number } | undefined;
}

export interface ControlPlaneSettings {
  readonly storage: string;
  readonly routerId: string;
  readonly platform: LocalPlatformSettings | { readonly kind: 'azure'; readonly azure: AzurePlatformSettings };
  /** Apps are named `<prefix>-v<major>-<minor>`: on Azure the names are global, so pick a prefix of your own. */
  readonly appNamePrefix: string;
  /** Absolute folders a release may name its package from; none: only URLs and uploads. */
  readonly packageDirs: readonly string[];
  /** Hosts a release's package URL (and its redirects) may name; none: package URLs are refused. */
  readonly packageHosts: readonly string[];
  /** Test only: listed hosts allowed to resolve to loopback addresses; empty otherwise. */
  readonly packageTestLoopbackHosts: readonly string[];
  /** Staging and kept packages. */
  readonly dataDir: string;
  readonly key: string;
  /** Seals the apps' keys the control plane keeps for the front doors (they share it). */
  readonly secretsKey: string;
  /** At most this many apps of this router at once; a breaking release beyond it is refused. */
  readonly appQuota: number;
  readonly trackingStorePrefix: string;
  readonly drainPollMs: number;
  readonly decommissionGraceMs: number;
  readonly healthTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly mapPropagationMs: number;
}

const integerRanges = {
  drainPollMs: [100, 3_600_000],
  decommissionGraceMs: [0, 30 * 24 * 3_600_000],
  healthTimeoutMs: [1_000, 3_600_000],
  healthIntervalMs: [50, 60_000],
  mapPropagationMs: [0, 600_000],
  appQuota: [1, 10_000],
} as const;

export function readControlPlaneSettings(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  const names = controlPlaneSettingNames;
  const storage = text(env, names.storage) ?? text(env, 'AzureWebJobsStorage');
  if (storage === undefined) throw invalid(`${names.storage} is not set: the control plane needs the Table storage that holds the version map and the shared tracking store.`);
  describeStorageConnectionString(storage, names.storage);
  const platformKind = text(env, names.platform) ?? 'local';
  if (platformKind !== 'local' && platformKind !== 'azure') throw invalid(`${names.platform} must be "local" or "azure", not "${platformKind.slice(0, 40)}".`);
  const routerId = parseRouterId(text(env, names.routerId));
  const appNamePrefix = text(env, names.appNamePrefix) ?? defaultAppNamePrefix(routerId);
  if (!appNamePrefixPattern.test(appNamePrefix)) {
    throw invalid(`${names.appNamePrefix} must be 2 to ${maxAppNamePrefixLength} lower-case letters, digits and inner hyphens (apps are named "<prefix>-v<major>-<minor>"), not "${appNamePrefix.slice(0, 40)}".`);
  }
  const dataDir = text(env, names.dataDir);
  if (dataDir === undefined || !path.isAbsolute(dataDir)) throw invalid(`${names.dataDir} must be an absolute folder for the control plane's packages.`);
  const key = text(env, names.key);
  if (key === undefined || key.length < minAdminKeyLength) {
    throw invalid(`${names.key} must be set to a key of at least ${minAdminKeyLength} characters: callers of the control plane's API present it as "Authorization: Bearer <key>".`);
  }
  const secretsKey = text(env, names.secretsKey);
  if (secretsKey === undefined || secretsKey.length < minSecretsKeyLength) {
    throw invalid(`${names.secretsKey} must be set to a key of at least ${minSecretsKeyLength} characters: the control plane seals the apps' keys with it, and the front doors open them with the same key.`);
  }
  const packageDirs = (text(env, names.packageDirs) ?? '').split(path.delimiter).map((dir) => dir.trim()).filter((dir) => dir !== '');
  const relative = packageDirs.find((dir) => !path.isAbsolute(dir));
  if (relative !== undefined) throw invalid(`${names.packageDirs} lists "${relative}", which is not an absolute folder.`);
  const packageHosts = parsePackageHosts(text(env, names.packageHosts), names.packageHosts);
  const packageTestLoopbackHosts = parsePackageHosts(text(env, names.packageTestLoopbackHosts), names.packageTestLoopbackHosts);
  const unlisted = packageTestLoopbackHosts.find((host) => host.startsWith('*.') || !packageHosts.includes(host));
  if (unlisted !== undefined) throw invalid(`${names.packageTestLoopbackHosts} lists "${unlisted}", which is not a host (without a wildcard) of ${names.packageHosts}.`);
  const prefix = text(env, names.trackingStorePrefix) ?? defaultTrackingStoreNamePrefix;
  if (!trackingStorePrefixPattern.test(prefix)) throw invalid(`${names.trackingStorePrefix} must be letters and digits, starting with a letter.`);
  return Object.freeze({
    storage,
    routerId,
    platform: platformKind === 'azure' ? Object.freeze({ kind: 'azure' as const, azure: Object.freeze(readAzurePlatformSettings(env)) }) : localPlatformSettings(env),
    appNamePrefix,
    packageDirs: Object.freeze(packageDirs.map((dir) => path.resolve(dir))),
    packageHosts,
    packageTestLoopbackHosts,
    dataDir: path.resolve(dataDir),
    key,
    secretsKey,
    appQuota: integer(env, 'appQuota'),
    trackingStorePrefix: prefix,
    drainPollMs: integer(env, 'drainPollMs'),
    decommissionGraceMs: integer(env, 'decommissionGraceMs'),
    healthTimeoutMs: integer(env, 'healthTimeoutMs'),
    healthIntervalMs: integer(env, 'healthIntervalMs'),
    mapPropagationMs: integer(env, 'mapPropagationMs'),
  });
}

function localPlatformSettings(env: NodeJS.ProcessEnv): LocalPlatformSettings {
  const root = text(env, controlPlaneSettingNames.platformRoot);
  if (root === undefined || !path.isAbsolute(root)) throw invalid(`${controlPlaneSettingNames.platformRoot} must be the absolute folder where the local platform keeps its apps.`);
  return Object.freeze({ kind: 'local' as const, root: path.resolve(root), ports: parsePorts(text(env, controlPlaneSettingNames.appPorts)) });
}

function parsePorts(value: string | undefined): { first: number; last: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (match === null || first < 1 || last > 65535 || first > last) {
    throw invalid(`${controlPlaneSettingNames.appPorts} must be a port range such as "7100-7199", not "${value.slice(0, 40)}".`);
  }
  return { first, last };
}

function integer(env: NodeJS.ProcessEnv, name: keyof typeof integerRanges): number {
  const settingName = controlPlaneSettingNames[name];
  const value = text(env, settingName);
  if (value === undefined) return controlPlaneDefaults[name];
  const [min, max] = integerRanges[name];
  const parsed = Number(value);
  const unit = name === 'appQuota' ? 'apps' : 'milliseconds';
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw invalid(`${settingName} must be a whole number of ${unit} from ${min} to ${max}, not "${value.slice(0, 40)}".`);
  return parsed;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function invalid(message: string): RouterError {
  return new RouterError('INVALID_CONFIGURATION', message);
}
