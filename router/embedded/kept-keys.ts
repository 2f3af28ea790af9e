import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { minAdminKeyLength } from '../../shared/config/router-environment.js';
import { readFileIfExists } from '../../shared/files/optional-file.js';
import { minSecretsKeyLength } from '../../shared/secrets/secret-box.js';

/**
 * The embedded stack's own keys, for those the environment does not give: each is generated once and
 * kept (mode 0600) in a file under the data directory, so restarts keep it and the CLI on the same
 * machine finds the admin key. URL-safe, since clients send the router keys in query strings.
 */
export const keptKeys = {
  /** ROUTER_ADMIN_KEY: operators, /admin. */
  admin: { file: 'admin-key', minLength: minAdminKeyLength },
  /** ROUTER_FUNCTION_KEY: clients, `/api` routes of authLevel function. */
  function: { file: 'function-key', minLength: 16 },
  /** ROUTER_DURABLE_KEY: clients, the durable HTTP API. */
  durable: { file: 'durable-key', minLength: 16 },
  /** ROUTER_SECRETS_KEY: seals the apps' keys in storage. */
  secrets: { file: 'secrets-key', minLength: minSecretsKeyLength },
} as const;

export type KeptKey = keyof typeof keptKeys;

export function keptKeyFile(dataDir: string, key: KeptKey): string {
  return path.join(dataDir, keptKeys[key].file);
}

export async function readKeptKey(dataDir: string, key: KeptKey): Promise<string | undefined> {
  const file = keptKeyFile(dataDir, key);
  let text: string | undefined;
  try {
    text = await readFileIfExists(file);
  } catch (error) {
    throw new RouterError('INVALID_CONFIGURATION', `Cannot read the key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const stored = text?.trim();
  if (stored === undefined) return undefined;
  // Never replaced silently: a new secrets key would leave every sealed app key unreadable.
  if (stored.length < keptKeys[key].minLength || !/^[\x21-\x7e]+$/.test(stored)) {
    throw new RouterError('INVALID_CONFIGURATION', `The key file ${file} does not hold a key of at least ${keptKeys[key].minLength} printable characters; fix it, or delete it to have a new key generated.`);
  }
  return stored;
}

export async function readOrCreateKeptKey(dataDir: string, key: KeptKey): Promise<{ value: string; generated: boolean }> {
  const stored = await readKeptKey(dataDir, key);
  if (stored !== undefined) return { value: stored, generated: false };
  const value = randomBytes(32).toString('base64url');
  await writeFile(keptKeyFile(dataDir, key), `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}
