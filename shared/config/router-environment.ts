import { RouterError } from '../errors/router-error.js';
import { minSecretsKeyLength } from '../secrets/secret-box.js';
import { routerStorageFromEnvironment } from '../storage/table-client-factory.js';

/** The router's settings as the environment gives them (design: "Environment"). */
export interface RouterEnvironment {
  readonly port: number;
  readonly adminKey: string | undefined;
  /** ROUTER_FUNCTION_KEY: what clients present for `/api` routes of authLevel function. */
  readonly functionKey: string | undefined;
  /** ROUTER_DURABLE_KEY: what clients present for the durable HTTP API. */
  readonly durableKey: string | undefined;
  /** ROUTER_SECRETS_KEY: seals the apps' keys the router keeps in storage. */
  readonly secretsKey: string | undefined;
  readonly storage: string | undefined;
  readonly platform: 'local' | 'azure';
  /** ROUTER_PUBLIC_URL: how clients reach the router. */
  readonly publicUrl: string | undefined;
  /** ROUTER_TRUSTED_PROXIES: peers whose X-Forwarded-* are believed (addresses, CIDR ranges). */
  readonly trustedProxies: readonly string[];
}

export const defaultRouterPort = 7070;
export const minAdminKeyLength = 16;

export function readRouterEnvironment(env: NodeJS.ProcessEnv = process.env): RouterEnvironment {
  return {
    port: parsePort(env.ROUTER_PORT, 'ROUTER_PORT') ?? defaultRouterPort,
    adminKey: parseAdminKey(env.ROUTER_ADMIN_KEY),
    functionKey: parseRouterKey(env.ROUTER_FUNCTION_KEY, 'ROUTER_FUNCTION_KEY'),
    durableKey: parseRouterKey(env.ROUTER_DURABLE_KEY, 'ROUTER_DURABLE_KEY'),
    secretsKey: parseSecretsKey(env.ROUTER_SECRETS_KEY),
    storage: routerStorageFromEnvironment(env),
    platform: parsePlatform(env.ROUTER_PLATFORM),
    publicUrl: nonEmpty(env.ROUTER_PUBLIC_URL),
    trustedProxies: (env.ROUTER_TRUSTED_PROXIES ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
  };
}

export function parsePort(value: string | undefined, name: string): number | undefined {
  if (nonEmpty(value) === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RouterError('INVALID_CONFIGURATION', `${name} must be a port number between 0 and 65535, got "${value}".`);
  }
  return port;
}

function parseAdminKey(value: string | undefined): string | undefined {
  const key = nonEmpty(value);
  if (key !== undefined && key.length < minAdminKeyLength) {
    // The key itself is never echoed: only its length.
    throw new RouterError(
      'INVALID_CONFIGURATION',
      `ROUTER_ADMIN_KEY must be at least ${minAdminKeyLength} characters long (it has ${key.length}).`,
    );
  }
  return key;
}

/** Clients send router keys in query strings: URL-safe characters only. The key itself is never echoed. */
function parseRouterKey(value: string | undefined, name: string): string | undefined {
  const key = nonEmpty(value);
  if (key !== undefined && !/^[A-Za-z0-9._~-]{16,256}$/.test(key)) {
    throw new RouterError('INVALID_CONFIGURATION', `${name} must be 16 to 256 URL-safe characters (letters, digits, "-", "_", ".", "~"); it has ${key.length} characters.`);
  }
  return key;
}

function parseSecretsKey(value: string | undefined): string | undefined {
  const key = nonEmpty(value);
  if (key !== undefined && key.length < minSecretsKeyLength) {
    throw new RouterError('INVALID_CONFIGURATION', `ROUTER_SECRETS_KEY must be at least ${minSecretsKeyLength} characters long (it has ${key.length}).`);
  }
  return key;
}

function parsePlatform(value: string | undefined): 'local' | 'azure' {
  const platform = nonEmpty(value) ?? 'local';
  if (platform !== 'local' && platform !== 'azure') {
    throw new RouterError('INVALID_CONFIGURATION', `ROUTER_PLATFORM must be "local" or "azure", got "${platform}".`);
  }
  return platform;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
