/**
 * A Functions host's keys, kept as the Azure Functions host keeps them with file secret storage:
 * one `host.json` in the host's secrets folder holding the master key, the host's function keys
 * (`default` at least) and its system keys (`durabletask_extension`, the durable HTTP API's key).
 * Whoever runs the host (the local platform, `durable-router host`) owns the folder; the file is
 * owner-only (0600), written atomically, and its values are never logged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import { readFileIfExists } from '../../../shared/files/optional-file.js';

export interface HostSecrets {
  readonly masterKey: string;
  /** Host-level function keys by name: each one opens every function of authLevel `function`. */
  readonly functionKeys: Readonly<Record<string, string>>;
  /** Keys of the host's extensions by name, e.g. `durabletask_extension`. */
  readonly systemKeys: Readonly<Record<string, string>>;
}

export const defaultFunctionKeyName = 'default';
export const durableTaskSystemKeyName = 'durabletask_extension';
export const hostSecretsFileName = 'host.json';

/** What Azure's keys look like: 40 random bytes, URL-safe base64 (54 characters). */
export function newKeyValue(): string {
  return randomBytes(40).toString('base64url');
}

export function generateHostSecrets(): HostSecrets {
  return {
    masterKey: newKeyValue(),
    functionKeys: { [defaultFunctionKeyName]: newKeyValue() },
    systemKeys: { [durableTaskSystemKeyName]: newKeyValue() },
  };
}

export function hostSecretsFile(secretsDir: string): string {
  return path.join(secretsDir, hostSecretsFileName);
}

export async function readHostSecrets(secretsDir: string): Promise<HostSecrets | undefined> {
  const file = hostSecretsFile(secretsDir);
  const text = await readFileIfExists(file);
  return text === undefined ? undefined : parseHostSecrets(text, file);
}

/**
 * The folder's keys, created on first use. Two processes of one app may start together (a
 * deploy's overlap): the file is created exclusively, so both end up with the same keys.
 */
export async function ensureHostSecrets(secretsDir: string): Promise<HostSecrets> {
  const existing = await readHostSecrets(secretsDir);
  if (existing !== undefined) return existing;
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  const created = generateHostSecrets();
  const temporary = await writeTemporary(secretsDir, created);
  try {
    // link() fails when the file exists: whoever links first wins, the others read theirs.
    await link(temporary, hostSecretsFile(secretsDir));
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readHostSecrets(secretsDir);
    if (winner === undefined) throw new RouterError('INTERNAL', `The keys file ${hostSecretsFile(secretsDir)} vanished while it was being created.`);
    return winner;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Replaces the keys (a rotation); readers see the old file or the new one, never half of one. */
export async function writeHostSecrets(secretsDir: string, secrets: HostSecrets): Promise<void> {
  assertHostSecrets(secrets, hostSecretsFile(secretsDir));
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  const temporary = await writeTemporary(secretsDir, secrets);
  try {
    await rename(temporary, hostSecretsFile(secretsDir));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function writeTemporary(secretsDir: string, secrets: HostSecrets): Promise<string> {
  const temporary = path.join(secretsDir, `.${hostSecretsFileName}.${randomUUID()}.tmp`);
  await writeFile(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  return temporary;
}

function parseHostSecrets(text: string, file: string): HostSecrets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault, which would be a key.
    throw corrupt(file, 'it is not JSON');
  }
  assertHostSecrets(value, file);
  return value;
}

function assertHostSecrets(value: unknown, file: string): asserts value is HostSecrets {
  if (typeof value !== 'object' || value === null) throw corrupt(file, 'it is not a JSON object');
  const secrets = value as Record<string, unknown>;
  if (!isKey(secrets['masterKey'])) throw corrupt(file, '"masterKey" is not a key');
  for (const group of ['functionKeys', 'systemKeys'] as const) {
    const keys = secrets[group];
    if (typeof keys !== 'object' || keys === null || !Object.values(keys).every(isKey)) throw corrupt(file, `"${group}" is not an object of keys`);
  }
}

/** Keys travel in URLs and headers: printable ASCII without spaces, long enough not to be guessed. */
function isKey(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 16 && value.length <= 256 && /^[\x21-\x7e]+$/.test(value);
}

function corrupt(file: string, reason: string): RouterError {
  // Never quote the file: it holds keys.
  return new RouterError('INVALID_CONFIGURATION', `The keys file ${file} cannot be read: ${reason}. Delete it to have new keys generated.`, { details: { file } });
}
