/**
 * `local.settings.json` as Azure Functions Core Tools reads it: its `Values` become environment
 * variables (app settings), except that a variable already set in the environment wins, as in
 * `func start` (v4 skips a key the process environment already has).
 */
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import { readFileIfExists } from '../../../shared/files/optional-file.js';

export interface LocalSettings {
  readonly values: Readonly<Record<string, string>>;
}

/** Parses the file's JSON value. Values may be strings, numbers or booleans (func stringifies them); null is skipped. */
export function parseLocalSettings(json: unknown, file = 'local.settings.json'): LocalSettings {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RouterError('INVALID_CONFIGURATION', `${file} must hold a JSON object.`);
  }
  const record = json as Record<string, unknown>;
  if (record['IsEncrypted'] === true) {
    throw new RouterError(
      'INVALID_CONFIGURATION',
      `${file} is encrypted (IsEncrypted: true); the local host cannot decrypt it. Run "func settings decrypt" or write the values in clear.`,
    );
  }
  const rawValues = record['Values'] ?? {};
  if (typeof rawValues !== 'object' || rawValues === null || Array.isArray(rawValues)) {
    throw new RouterError('INVALID_CONFIGURATION', `"Values" in ${file} must be an object of setting names to values.`);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawValues as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[name] = String(value);
    } else {
      throw new RouterError('INVALID_CONFIGURATION', `The setting "${name}" in ${file} must be a string, number or boolean.`);
    }
  }
  return { values };
}

export async function readLocalSettings(appDir: string): Promise<LocalSettings | undefined> {
  const file = path.join(appDir, 'local.settings.json');
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new RouterError('INVALID_CONFIGURATION', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseLocalSettings(json, file);
}

/** Sets each value the environment does not have yet; returns the names applied and skipped. */
export function applyAppSettings(
  env: NodeJS.ProcessEnv,
  values: Readonly<Record<string, string>>,
): { applied: string[]; skipped: string[] } {
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === '') continue;
    if (env[name] !== undefined) {
      skipped.push(name);
    } else {
      env[name] = value;
      applied.push(name);
    }
  }
  return { applied, skipped };
}
