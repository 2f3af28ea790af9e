/**
 * What the local platform remembers of an app, in `<root>/apps/<name>/app.json`, so that a new
 * LocalPlatform over the same root (after the control plane was killed) knows the same apps and
 * restarts them on the same ports. The file holds the app's settings, secrets included (as Azure
 * holds them): it is written owner-only (0600) and never logged.
 */
import { randomUUID } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import { readFileIfExists } from '../../../shared/files/optional-file.js';

export interface LocalAppRecord {
  readonly schema: 1;
  readonly name: string;
  /** The router that owns the app (the platform's `owner`). */
  readonly owner: string;
  readonly routeKey: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly port: number;
  readonly createdAt: string;
  readonly settings: Readonly<Record<string, string>>;
  /** `folder`: the deployment's folder under `site/` (absent in records of the earlier layout, which ran `site/` itself). */
  readonly deployment?: { readonly sha256: string; readonly deployedAt: string; readonly folder?: string } | undefined;
  /** Set while its process is down after it ended on its own; gone once it runs again. */
  readonly down?: AppDown | undefined;
}

export interface AppDown {
  readonly since: string;
  /** How the last process ended: its exit code, or the signal that killed it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Quick crashes in a row (a process that ended within the policy's healthy lifetime). */
  readonly quickCrashes: number;
  /** A crash loop: the platform no longer restarts it (resume the platform, or deploy, to start it). */
  readonly gaveUp: boolean;
}

const recordFileName = 'app.json';

export async function readAppRecord(appDir: string): Promise<LocalAppRecord | undefined> {
  const file = path.join(appDir, recordFileName);
  const text = await readFileIfExists(file);
  // A folder without a record is a provision that was cut off before it wrote one: no app yet.
  if (text === undefined) return undefined;
  return parseAppRecord(text, file);
}

function parseAppRecord(text: string, file: string): LocalAppRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `it is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) throw corrupt(file, 'it is not a JSON object');
  const record = value as Record<string, unknown>;
  if (record['schema'] !== 1) throw corrupt(file, `its schema is ${JSON.stringify(record['schema'])}, not 1`);
  for (const key of ['name', 'owner', 'routeKey', 'version', 'createdAt'] as const) {
    if (typeof record[key] !== 'string') throw corrupt(file, `"${key}" is not a string`);
  }
  if (!Number.isInteger(record['port']) || (record['port'] as number) <= 0 || (record['port'] as number) > 65535) throw corrupt(file, '"port" is not a port number');
  if (!isStringRecord(record['tags'])) throw corrupt(file, '"tags" is not an object of strings');
  if (!isStringRecord(record['settings'])) throw corrupt(file, '"settings" is not an object of strings');
  const deployment = record['deployment'];
  if (deployment !== undefined) {
    const entry = deployment as Record<string, unknown>;
    if (typeof deployment !== 'object' || deployment === null || typeof entry['sha256'] !== 'string' || typeof entry['deployedAt'] !== 'string') {
      throw corrupt(file, '"deployment" is not { sha256, deployedAt, folder? }');
    }
    if (entry['folder'] !== undefined && (typeof entry['folder'] !== 'string' || !/^[A-Za-z0-9-]+$/.test(entry['folder']))) {
      throw corrupt(file, '"deployment.folder" is not a folder name');
    }
  }
  const down = record['down'];
  if (down !== undefined) {
    const entry = down as Record<string, unknown>;
    if (typeof down !== 'object' || down === null || typeof entry['since'] !== 'string' || typeof entry['gaveUp'] !== 'boolean' || !Number.isInteger(entry['quickCrashes'])) {
      throw corrupt(file, '"down" is not { since, exitCode, signal, quickCrashes, gaveUp }');
    }
  }
  return record as unknown as LocalAppRecord;
}

/** The record of an app whose process runs (again). */
export function runningRecord(record: LocalAppRecord): LocalAppRecord {
  const { down: _down, ...running } = record;
  return running;
}

/** Atomic: a reader sees the old record or the new one, never half of one. */
export async function writeAppRecord(appDir: string, record: LocalAppRecord): Promise<void> {
  const file = path.join(appDir, recordFileName);
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string');
}

function corrupt(file: string, reason: string): RouterError {
  return new RouterError('PLATFORM_OPERATION_FAILED', `The local platform's record ${file} is damaged: ${reason}. Fix or delete the app's folder.`);
}
