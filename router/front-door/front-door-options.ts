import type { LoggerOptions, Logger } from 'pino';
import { RouterError } from '../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../shared/stores/version-map-store.js';
import { defaultPackageLimits } from '../../deployer/platform/package/package-limits.js';
import { defaultOperationTimeoutMs, type ControlPlaneTarget } from '../admin/control-plane-forwarding.js';
import type { RouterKeys } from '../../shared/secrets/app-keys.js';
import type { AppKeySource } from './app-key-cache.js';
import type { InstanceOwnerSource } from './instance-owner-cache.js';
import { parseTrustedProxies, type TrustedProxies } from './trusted-proxies.js';

export interface FrontDoorOptions {
  /** Where the version map lives; the front door only reads it. */
  readonly store: VersionMapStore;
  /** The shared tracking store; without it every call goes by its header (no instance affinity). */
  readonly trackingStore?: InstanceOwnerSource | undefined;
  /** Secret for /admin routes (Authorization: Bearer <key>); at least 16 characters. */
  readonly adminKey: string;
  /**
   * What clients present (`code` or `x-functions-key`) instead of an app's keys: the durable API key
   * for `/runtime/webhooks/durabletask/*`, the function key for `/api` routes of authLevel `function`.
   * URL-safe (letters, digits, `-`, `_`, `.`, `~`), at least 16 characters, each different.
   */
  readonly routerKeys: RouterKeys;
  /** Where the apps' keys are kept (the control plane writes them); without it no app key is added. */
  readonly appKeys?: AppKeySource | undefined;
  /** How long apps' keys are used before they are read again (ms). */
  readonly appKeyMaxAgeMs?: number | undefined;
  /** How often the version map is re-read (ms). */
  readonly refreshIntervalMs?: number | undefined;
  /**
   * How long a request may wait for its app's response headers, counted from its arrival at the
   * front door: waiting for a free connection to the app is included (ms).
   */
  readonly upstreamTimeoutMs?: number | undefined;
  /** How long an app's response body may stay silent between chunks (ms). */
  readonly upstreamBodyTimeoutMs?: number | undefined;
  /** Keep-alive connections per app: at most this many requests are sent to one app at once. */
  readonly connectionsPerApp?: number | undefined;
  /**
   * Requests that may wait for one of an app's connections while all are busy; one more is answered
   * 503 UPSTREAM_SATURATED at once.
   */
  readonly maxQueuedPerApp?: number | undefined;
  /**
   * The largest request body sent on to an app (`/api/*` and the durable HTTP API), in bytes: what
   * the Azure Functions host accepts by default (100 MiB, its FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).
   * A bigger one is answered 413 PAYLOAD_TOO_LARGE by the front door.
   */
  readonly maxRequestBodyBytes?: number | undefined;
  /** The largest release upload (`POST /admin/releases` with a zip) sent on to the control plane: the package limit, 256 MiB. */
  readonly maxReleaseUploadBytes?: number | undefined;
  /** How clients reach the router, e.g. "https://router.example.com"; else taken from each request's Host. */
  readonly publicUrl?: string | undefined;
  /**
   * Peers (IP addresses or CIDR ranges) whose `X-Forwarded-Host`, `-Proto` and `-For` are believed:
   * the load balancers in front of the router. Default none: those headers from clients are ignored.
   */
  readonly trustedProxies?: readonly string[] | undefined;
  /** How many instance owners are remembered. */
  readonly instanceCacheSize?: number | undefined;
  /** Time between two probes of one app's health (ms): a GET of its root URL, any answer meaning up. */
  readonly appProbeIntervalMs?: number | undefined;
  /** How long a health probe waits for the app's answer (ms); two failed probes in a row mark the app down. */
  readonly appProbeTimeoutMs?: number | undefined;
  /** A pino logger, pino options, or false for none. */
  readonly logger?: Logger | LoggerOptions | boolean | undefined;
  /** Where releases and version changes go (`/admin/releases`, `/admin/versions/{routeKey}/...`); without it they answer 503. */
  readonly controlPlane?: ControlPlaneTarget | undefined;
}

export interface FrontDoorConfig {
  readonly store: VersionMapStore;
  readonly trackingStore: InstanceOwnerSource | undefined;
  readonly adminKey: string;
  readonly routerKeys: RouterKeys;
  readonly appKeys: AppKeySource | undefined;
  readonly appKeyMaxAgeMs: number;
  readonly refreshIntervalMs: number;
  readonly upstreamTimeoutMs: number;
  readonly upstreamBodyTimeoutMs: number;
  readonly connectionsPerApp: number;
  readonly maxQueuedPerApp: number;
  readonly maxRequestBodyBytes: number;
  readonly maxReleaseUploadBytes: number;
  /** Normalized: origin plus path, without a trailing slash. */
  readonly publicUrl: string | undefined;
  readonly trustedProxies: TrustedProxies;
  readonly instanceCacheSize: number;
  readonly appProbeIntervalMs: number;
  readonly appProbeTimeoutMs: number;
  readonly logger: Logger | LoggerOptions | boolean;
  readonly controlPlane: ControlPlaneTarget | undefined;
}

export const frontDoorDefaults = Object.freeze({
  refreshIntervalMs: 500,
  upstreamTimeoutMs: 30_000,
  upstreamBodyTimeoutMs: 300_000,
  connectionsPerApp: 64,
  maxQueuedPerApp: 256,
  appProbeIntervalMs: 2_000,
  appProbeTimeoutMs: 2_000,
  instanceCacheSize: 10_000,
  appKeyMaxAgeMs: 30_000,
  maxRequestBodyBytes: 100 * 1024 * 1024,
  maxReleaseUploadBytes: defaultPackageLimits.maxCompressedBytes,
  logger: Object.freeze({ level: 'info' }) as LoggerOptions,
});

const minAdminKeyLength = 16;
const integerRanges = {
  refreshIntervalMs: [10, 60_000],
  upstreamTimeoutMs: [1, 3_600_000],
  upstreamBodyTimeoutMs: [1, 3_600_000],
  connectionsPerApp: [1, 10_000],
  maxQueuedPerApp: [0, 1_000_000],
  appProbeIntervalMs: [10, 600_000],
  appProbeTimeoutMs: [10, 60_000],
  instanceCacheSize: [0, 10_000_000],
  appKeyMaxAgeMs: [100, 3_600_000],
  maxRequestBodyBytes: [1, Number.MAX_SAFE_INTEGER],
  maxReleaseUploadBytes: [1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>;
const knownOptions = new Set<string>(['store', 'trackingStore', 'adminKey', 'routerKeys', 'appKeys', 'publicUrl', 'trustedProxies', 'logger', 'controlPlane', ...Object.keys(integerRanges)]);
const routerKeyPattern = /^[A-Za-z0-9._~-]{16,256}$/;

/** Validates the options once and fills in defaults; the result is frozen. */
export function resolveFrontDoorOptions(options: FrontDoorOptions): FrontDoorConfig {
  if (typeof options !== 'object' || options === null) throw invalid('The front door needs an options object.');
  const unknown = Object.keys(options).filter((key) => !knownOptions.has(key));
  if (unknown.length > 0) throw invalid(`Unknown front door option(s): ${unknown.join(', ')}. Known: ${[...knownOptions].join(', ')}.`);
  const { store, trackingStore, adminKey } = options;
  if (!isPort(store, ['read'])) throw invalid('options.store must be a VersionMapStore (an object with read()).');
  if (trackingStore !== undefined && !isPort(trackingStore, ['getInstance'])) {
    throw invalid('options.trackingStore must be a tracking-store reader (an object with getInstance(instanceId)).');
  }
  if (typeof adminKey !== 'string' || adminKey.length < minAdminKeyLength) {
    throw invalid(`options.adminKey must be a string of at least ${minAdminKeyLength} characters.`);
  }
  if (!/^[\x21-\x7e]+$/.test(adminKey)) {
    throw invalid('options.adminKey must be printable ASCII without spaces, so that it can be sent in an Authorization header.');
  }
  const routerKeys = checkRouterKeys(options.routerKeys, adminKey);
  if (options.appKeys !== undefined && !isPort(options.appKeys, ['readAll'])) throw invalid('options.appKeys must be an app key store (an object with readAll()).');
  return Object.freeze({
    store,
    trackingStore,
    adminKey,
    routerKeys,
    appKeys: options.appKeys,
    appKeyMaxAgeMs: integer(options, 'appKeyMaxAgeMs'),
    refreshIntervalMs: integer(options, 'refreshIntervalMs'),
    upstreamTimeoutMs: integer(options, 'upstreamTimeoutMs'),
    upstreamBodyTimeoutMs: integer(options, 'upstreamBodyTimeoutMs'),
    connectionsPerApp: integer(options, 'connectionsPerApp'),
    maxQueuedPerApp: integer(options, 'maxQueuedPerApp'),
    maxRequestBodyBytes: integer(options, 'maxRequestBodyBytes'),
    maxReleaseUploadBytes: integer(options, 'maxReleaseUploadBytes'),
    instanceCacheSize: integer(options, 'instanceCacheSize'),
    appProbeIntervalMs: integer(options, 'appProbeIntervalMs'),
    appProbeTimeoutMs: integer(options, 'appProbeTimeoutMs'),
    publicUrl: options.publicUrl === undefined ? undefined : normalizePublicUrl(options.publicUrl),
    trustedProxies: trustedProxiesOption(options.trustedProxies),
    logger: options.logger ?? frontDoorDefaults.logger,
    controlPlane: options.controlPlane === undefined ? undefined : checkControlPlane(options.controlPlane),
  });
}

function checkRouterKeys(value: RouterKeys | undefined, adminKey: string): RouterKeys {
  if (typeof value !== 'object' || value === null) throw invalid('options.routerKeys must be { function, durableApi }: the keys clients present to the router.');
  for (const name of ['function', 'durableApi'] as const) {
    if (typeof value[name] !== 'string' || !routerKeyPattern.test(value[name])) {
      throw invalid(`options.routerKeys.${name} must be 16 to 256 URL-safe characters (letters, digits, "-", "_", ".", "~").`);
    }
  }
  if (value.function === value.durableApi) throw invalid('options.routerKeys.function and options.routerKeys.durableApi must differ: each opens something else.');
  if (value.function === adminKey || value.durableApi === adminKey) throw invalid('The router keys must differ from the admin key: clients get them, the admin key stays with operators.');
  return Object.freeze({ function: value.function, durableApi: value.durableApi });
}

function checkControlPlane(value: ControlPlaneTarget): ControlPlaneTarget {
  if (typeof value !== 'object' || value === null) throw invalid('options.controlPlane must be { url, key }.');
  let url: URL;
  try {
    url = new URL(value.url);
  } catch (error) {
    throw invalid(`options.controlPlane.url "${String(value.url)}" is not an absolute URL (e.g. "http://127.0.0.1:7080").`, error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`options.controlPlane.url must be http or https; got ${url.protocol}`);
  if (typeof value.key !== 'string' || value.key.length < minAdminKeyLength || !/^[\x21-\x7e]+$/.test(value.key)) {
    throw invalid(`options.controlPlane.key must be printable ASCII without spaces, at least ${minAdminKeyLength} characters.`);
  }
  const operationTimeoutMs = value.operationTimeoutMs ?? defaultOperationTimeoutMs;
  if (!Number.isInteger(operationTimeoutMs) || operationTimeoutMs < 1 || operationTimeoutMs > 300_000) {
    throw invalid(`options.controlPlane.operationTimeoutMs must be an integer from 1 to 300000; got ${String(operationTimeoutMs)}.`);
  }
  return Object.freeze({ url: url.origin, key: value.key, operationTimeoutMs });
}

function trustedProxiesOption(value: readonly string[] | undefined): TrustedProxies {
  if (value !== undefined && (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))) {
    throw invalid('options.trustedProxies must be a list of IP addresses or CIDR ranges.');
  }
  return parseTrustedProxies(value ?? [], 'options.trustedProxies');
}

function integer(options: FrontDoorOptions, name: keyof typeof integerRanges): number {
  const value = options[name] ?? frontDoorDefaults[name];
  const [min, max] = integerRanges[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`options.${name} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
  return value;
}

function normalizePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw invalid(`options.publicUrl "${value}" is not an absolute URL (e.g. "https://router.example.com").`, error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`options.publicUrl must be http or https; got ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw invalid('options.publicUrl must not carry a query, fragment or credentials: it is the base that app URLs are rewritten to.');
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function isPort(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null
    && methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
}

function invalid(message: string, cause?: unknown): RouterError {
  return new RouterError('INVALID_CONFIGURATION', message, cause === undefined ? undefined : { cause });
}
