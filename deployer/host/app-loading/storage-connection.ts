/**
 * Which storage account the host's durable state lives in, and how connection setting names
 * (host.json `connectionName`, `trackingStoreConnectionName`, ...) resolve to connection strings.
 * Precedence for the app's own storage: an explicit connection string, then the app's
 * `AzureWebJobsStorage` (environment or local.settings.json), then `ROUTER_STORAGE`, then the
 * embedded Azurite; `UseDevelopmentStorage=true` also means the embedded Azurite. Pure: no I/O.
 */
import { RouterError } from '../../../shared/errors/router-error.js';

export const appStorageSetting = 'AzureWebJobsStorage';
const routerStorageSetting = 'ROUTER_STORAGE';

export type StorageChoice =
  | { readonly source: 'option' | 'app-setting' | 'router-storage'; readonly connectionString: string }
  | { readonly source: 'embedded' };

export function isDevelopmentStorage(value: string): boolean {
  return /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value);
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export function chooseAppStorage(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): StorageChoice {
  if (present(explicit)) return isDevelopmentStorage(explicit) ? { source: 'embedded' } : { source: 'option', connectionString: explicit };
  const appSetting = env[appStorageSetting];
  if (present(appSetting)) {
    return isDevelopmentStorage(appSetting) ? { source: 'embedded' } : { source: 'app-setting', connectionString: appSetting };
  }
  const routerStorage = env[routerStorageSetting];
  if (present(routerStorage)) {
    return isDevelopmentStorage(routerStorage) ? { source: 'embedded' } : { source: 'router-storage', connectionString: routerStorage };
  }
  return { source: 'embedded' };
}

/** Setting names that host.json's durableTask section uses as storage connections. */
export function durableConnectionNames(durableTask: Readonly<Record<string, unknown>> | undefined): string[] {
  const names = new Set<string>();
  const collect = (section: unknown): void => {
    if (typeof section !== 'object' || section === null) return;
    for (const [key, value] of Object.entries(section)) {
      if (/connection(string)?name$/i.test(key) && typeof value === 'string' && value.trim() !== '') names.add(value);
    }
  };
  collect(durableTask);
  collect(durableTask?.['storageProvider']);
  return [...names];
}

/** Whether any storage connection the app uses needs the embedded Azurite. */
export function needsEmbeddedStorage(
  choice: StorageChoice,
  connectionNames: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (choice.source === 'embedded') return true;
  return connectionNames.some((name) => name.toLowerCase() !== appStorageSetting.toLowerCase() && isDevelopmentStorage(env[name] ?? ''));
}

/**
 * Resolves a connection setting name to a connection string. `AzureWebJobsStorage` is the app's
 * chosen storage; other names are app settings.
 */
export function createConnectionResolver(
  choice: StorageChoice,
  env: Readonly<Record<string, string | undefined>>,
  embeddedConnectionString: string | undefined,
): (name: string) => string {
  const embedded = (name: string): string => {
    if (embeddedConnectionString === undefined) {
      throw new RouterError('INVALID_CONFIGURATION', `The storage connection "${name}" needs the embedded Azurite, which is not running.`);
    }
    return embeddedConnectionString;
  };
  return (name: string) => {
    if (name.trim() === '' || name.toLowerCase() === appStorageSetting.toLowerCase()) {
      return choice.source === 'embedded' ? embedded(appStorageSetting) : choice.connectionString;
    }
    const value = env[name];
    if (!present(value)) {
      const identityBased = Object.keys(env).some((key) => key.toLowerCase().startsWith(`${name.toLowerCase()}__`));
      throw new RouterError(
        'INVALID_CONFIGURATION',
        identityBased
          ? `The storage connection "${name}" is identity-based (${name}__...); the local host needs a connection string in the app setting "${name}".`
          : `The app setting "${name}", used as a storage connection in host.json, is not set.`,
      );
    }
    return isDevelopmentStorage(value) ? embedded(name) : value;
  };
}
