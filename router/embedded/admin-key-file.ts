import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { minAdminKeyLength } from '../../shared/config/router-environment.js';
import { readFileIfExists } from '../../shared/files/optional-file.js';

/**
 * Without ROUTER_ADMIN_KEY the embedded stack generates a key once and keeps it (mode 0600) under
 * its data directory, so restarts keep it and the CLI on the same machine finds it.
 */
export function adminKeyFile(dataDir: string): string {
  return path.join(dataDir, 'admin-key');
}

export async function readStoredAdminKey(dataDir: string): Promise<string | undefined> {
  const file = adminKeyFile(dataDir);
  let text: string | undefined;
  try {
    text = await readFileIfExists(file);
  } catch (error) {
    throw new RouterError('INVALID_CONFIGURATION', `Cannot read the admin key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const stored = text?.trim();
  return stored !== undefined && stored.length >= minAdminKeyLength ? stored : undefined;
}

export async function readOrCreateAdminKey(dataDir: string): Promise<{ adminKey: string; generated: boolean }> {
  const stored = await readStoredAdminKey(dataDir);
  if (stored !== undefined) return { adminKey: stored, generated: false };
  const adminKey = randomBytes(24).toString('base64url');
  await writeFile(adminKeyFile(dataDir), `${adminKey}\n`, { mode: 0o600 });
  return { adminKey, generated: true };
}
