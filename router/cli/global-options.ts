import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import { readKeptKey } from '../embedded/kept-keys.js';
import { AdminClient } from './admin-client.js';

export interface GlobalOptions {
  readonly url: string;
  readonly adminKey?: string | undefined;
  readonly output: 'table' | 'json';
}

/** --admin-key, else ROUTER_ADMIN_KEY (commander merges both), else the key `start` generated here. */
export async function resolveAdminKey(options: GlobalOptions, dataDir = '.data'): Promise<string> {
  if (options.adminKey !== undefined && options.adminKey !== '') return options.adminKey;
  const stored = await readKeptKey(dataDir, 'admin');
  if (stored === undefined) {
    throw new RouterError('UNAUTHORIZED', 'No admin key: pass --admin-key or set ROUTER_ADMIN_KEY (`durable-router start` prints it).');
  }
  return stored;
}

export async function createAdminClient(options: GlobalOptions): Promise<AdminClient> {
  return new AdminClient({ url: options.url, adminKey: await resolveAdminKey(options) });
}

/** What the CLI prints for a failure, on stderr: `error CODE: message`. */
export function describeFailure(error: unknown): string {
  if (isRouterError(error)) return `error ${error.code}: ${error.message}`;
  return `error: ${(error as Error | undefined)?.stack ?? String(error)}`;
}
