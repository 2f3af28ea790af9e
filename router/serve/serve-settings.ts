/**
 * `durable-router serve`: the front door alone, configured by its environment (what a container
 * platform gives it). Pure: reads the given variables and fails with one INVALID_CONFIGURATION
 * error that names every missing or invalid setting, never echoing a value.
 */
import { RouterError } from '../../shared/errors/router-error.js';
import { minAdminKeyLength } from '../../shared/config/router-environment.js';
import { describeStorageConnectionString } from '../../shared/storage/table-client-factory.js';
import { minSecretsKeyLength } from '../../shared/secrets/secret-box.js';
import { defaultTrackingStoreNamePrefix, trackingStorePrefixPattern } from '../../shared/tracking-store/tracking-store-schema.js';
import { defaultRouterPort } from '../../shared/config/router-environment.js';
import { parseTrustedProxies } from '../front-door/trusted-proxies.js';
import { frontDoorDefaults } from '../front-door/front-door-options.js';

export const serveSettingNames = Object.freeze({
  port: 'ROUTER_PORT',
  host: 'ROUTER_HOST',
  workers: 'ROUTER_WORKERS',
  /** A connection string (account key or SAS). */
  storage: 'ROUTER_STORAGE',
  /** Identity-based instead, named as Azure Functions names identity-based connections. */
  storageAccount: 'ROUTER_STORAGE__accountName',
  storageTableServiceUri: 'ROUTER_STORAGE__tableServiceUri',
  adminKey: 'ROUTER_ADMIN_KEY',
  durableKey: 'ROUTER_DURABLE_KEY',
  functionKey: 'ROUTER_FUNCTION_KEY',
  secretsKey: 'ROUTER_SECRETS_KEY',
  controlPlaneUrl: 'ROUTER_CONTROL_PLANE_URL',
  controlPlaneKey: 'ROUTER_CONTROL_PLANE_KEY',
  publicUrl: 'ROUTER_PUBLIC_URL',
  trustedProxies: 'ROUTER_TRUSTED_PROXIES',
  trackingStorePrefix: 'ROUTER_TRACKING_STORE_PREFIX',
  /** Seconds a request may wait for its app's response headers, from its arrival (queueing included). */
  upstreamTimeout: 'ROUTER_UPSTREAM_TIMEOUT',
  connectionsPerApp: 'ROUTER_CONNECTIONS_PER_APP',
  /** Requests that may wait for a connection to one app; one more is answered 503 UPSTREAM_SATURATED. */
  queuePerApp: 'ROUTER_QUEUE_PER_APP',
});

export type ServeStorage =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly tableUrl: string };

export interface ServeSettings {
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly storage: ServeStorage;
  readonly adminKey: string;
  readonly routerKeys: { readonly function: string; readonly durableApi: string };
  readonly secretsKey: string;
  readonly controlPlane: { readonly url: string; readonly key: string };
  readonly publicUrl: string | undefined;
  /** Addresses and CIDR ranges whose X-Forwarded-* are believed. */
  readonly trustedProxies: readonly string[];
  readonly trackingStorePrefix: string;
  readonly upstreamTimeoutMs: number;
  readonly connectionsPerApp: number;
  readonly maxQueuedPerApp: number;
}

export const maxWorkers = 64;
const routerKeyPattern = /^[A-Za-z0-9._~-]{16,256}$/;

/** `flags`: settings given on the command line instead, by name (e.g. ROUTER_WORKERS: "--workers"), so errors name what the user typed. */
export function readServeSettings(env: Readonly<Record<string, string | undefined>>, flags: Readonly<Record<string, string>> = {}): ServeSettings {
  const names = serveSettingNames;
  const problems: string[] = [];
  const named: string[] = [];
  const complain = (name: string, problem: string): void => {
    problems.push(`${flags[name] === undefined ? name : `${flags[name]} (${name})`} ${problem}`);
    if (!named.includes(name)) named.push(name);
  };
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const required = (name: string, what: string): string => {
    const value = read(name);
    if (value === undefined) complain(name, `is missing (${what})`);
    return value ?? '';
  };

  const port = wholeNumber(read(names.port), defaultRouterPort, 0, 65535);
  if (port === undefined) complain(names.port, 'must be a port number from 0 to 65535');
  const workers = wholeNumber(read(names.workers), 1, 1, maxWorkers);
  if (workers === undefined) complain(names.workers, `must be a whole number of processes from 1 to ${maxWorkers}`);
  const host = read(names.host) ?? '127.0.0.1';
  const upstreamTimeoutSeconds = wholeNumber(read(names.upstreamTimeout), frontDoorDefaults.upstreamTimeoutMs / 1000, 1, 3600);
  if (upstreamTimeoutSeconds === undefined) complain(names.upstreamTimeout, 'must be a whole number of seconds from 1 to 3600');
  const connectionsPerApp = wholeNumber(read(names.connectionsPerApp), frontDoorDefaults.connectionsPerApp, 1, 10_000);
  if (connectionsPerApp === undefined) complain(names.connectionsPerApp, 'must be a whole number from 1 to 10000');
  const maxQueuedPerApp = wholeNumber(read(names.queuePerApp), frontDoorDefaults.maxQueuedPerApp, 0, 100_000);
  if (maxQueuedPerApp === undefined) complain(names.queuePerApp, 'must be a whole number from 0 to 100000');

  const storage = storageOf(read(names.storage), read(names.storageAccount), read(names.storageTableServiceUri), complain);

  const adminKey = required(names.adminKey, 'operators present it as "Authorization: Bearer <key>"');
  if (adminKey !== '' && (adminKey.length < minAdminKeyLength || !/^[\x21-\x7e]+$/.test(adminKey))) {
    complain(names.adminKey, `must be at least ${minAdminKeyLength} printable characters without spaces (it has ${adminKey.length})`);
  }
  const durableKey = required(names.durableKey, 'what clients present for the durable HTTP API');
  const functionKey = required(names.functionKey, 'what clients present for /api routes of authLevel function');
  for (const [name, key] of [[names.durableKey, durableKey], [names.functionKey, functionKey]] as const) {
    if (key !== '' && !routerKeyPattern.test(key)) complain(name, `must be 16 to 256 URL-safe characters (letters, digits, "-", "_", ".", "~"); it has ${key.length}`);
  }
  const secretsKey = required(names.secretsKey, 'the same key as the control plane\'s: it opens the apps\' keys the control plane keeps');
  if (secretsKey !== '' && secretsKey.length < minSecretsKeyLength) complain(names.secretsKey, `must be at least ${minSecretsKeyLength} characters (it has ${secretsKey.length})`);

  const controlPlaneUrl = required(names.controlPlaneUrl, 'where releases and version changes go, e.g. https://<control plane app>.azurewebsites.net');
  if (controlPlaneUrl !== '' && !isHttpUrl(controlPlaneUrl)) complain(names.controlPlaneUrl, 'must be an absolute http or https URL');
  const controlPlaneKey = required(names.controlPlaneKey, 'the key the control plane\'s API demands');
  if (controlPlaneKey !== '' && (controlPlaneKey.length < minAdminKeyLength || !/^[\x21-\x7e]+$/.test(controlPlaneKey))) {
    complain(names.controlPlaneKey, `must be at least ${minAdminKeyLength} printable characters without spaces (it has ${controlPlaneKey.length})`);
  }
  const publicUrl = read(names.publicUrl);
  if (publicUrl !== undefined && !isHttpUrl(publicUrl)) complain(names.publicUrl, 'must be an absolute http or https URL, e.g. https://router.example.com');
  const trustedProxies = (read(names.trustedProxies) ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  try {
    parseTrustedProxies(trustedProxies, names.trustedProxies);
  } catch (error) {
    problems.push((error as Error).message.replace(/\.$/, ''));
    named.push(names.trustedProxies);
  }
  const trackingStorePrefix = read(names.trackingStorePrefix) ?? defaultTrackingStoreNamePrefix;
  if (!trackingStorePrefixPattern.test(trackingStorePrefix)) complain(names.trackingStorePrefix, 'must be letters and digits, starting with a letter');

  if (problems.length > 0 || storage === undefined || port === undefined || workers === undefined
    || upstreamTimeoutSeconds === undefined || connectionsPerApp === undefined || maxQueuedPerApp === undefined) {
    throw new RouterError('INVALID_CONFIGURATION', `durable-router serve needs valid settings: ${problems.join('; ')}.`, { details: { settings: named } });
  }
  return Object.freeze({
    port,
    host,
    workers,
    storage,
    adminKey,
    routerKeys: Object.freeze({ function: functionKey, durableApi: durableKey }),
    secretsKey,
    controlPlane: Object.freeze({ url: controlPlaneUrl, key: controlPlaneKey }),
    publicUrl,
    trustedProxies: Object.freeze(trustedProxies),
    trackingStorePrefix,
    upstreamTimeoutMs: upstreamTimeoutSeconds * 1000,
    connectionsPerApp,
    maxQueuedPerApp,
  });
}

function storageOf(
  connectionString: string | undefined,
  accountName: string | undefined,
  tableServiceUri: string | undefined,
  complain: (name: string, problem: string) => void,
): ServeStorage | undefined {
  const names = serveSettingNames;
  const identity = accountName !== undefined || tableServiceUri !== undefined;
  if (connectionString !== undefined && identity) {
    complain(names.storage, `and ${names.storageAccount}/${names.storageTableServiceUri} are both set: give the connection string or the identity-based account, not both`);
    return undefined;
  }
  if (connectionString !== undefined) {
    const problem = connectionStringProblem(connectionString);
    if (problem !== undefined) {
      complain(names.storage, problem);
      return undefined;
    }
    return { kind: 'connection-string', connectionString };
  }
  if (tableServiceUri !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(tableServiceUri);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.protocol !== 'https:' || url.search !== '' || url.username !== '' || url.password !== '') {
      complain(names.storageTableServiceUri, 'must be the https URL of the Table service, without a query (e.g. https://<account>.table.core.windows.net)');
      return undefined;
    }
    return { kind: 'identity', tableUrl: tableServiceUri.replace(/\/+$/, '') };
  }
  if (accountName !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      complain(names.storageAccount, 'must be a storage account name (3 to 24 lower-case letters and digits)');
      return undefined;
    }
    return { kind: 'identity', tableUrl: `https://${accountName}.table.core.windows.net` };
  }
  complain(names.storage, `is missing: set it to the router's Table storage connection string, or set ${names.storageAccount} to reach the account with the front door's identity (DefaultAzureCredential; AZURE_CLIENT_ID picks a user-assigned identity)`);
  return undefined;
}

function connectionStringProblem(connectionString: string): string | undefined {
  try {
    describeStorageConnectionString(connectionString, '');
    return undefined;
  } catch (error) {
    // The parser's message starts with the setting's name, given empty here; it never echoes the key.
    return (error as Error).message.trim().replace(/\.$/, '');
  }
}

function wholeNumber(value: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= min && parsed <= max ? parsed : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
