/**
 * `durable-router.versions.json`, written into every migrated app: which versions it holds, where
 * each one's code is, and the names each one's durable functions are deployed under, so that the
 * next migration knows what belongs to which version and a release can drop drained ones.
 */
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { readFileIfExists } from '../../shared/files/optional-file.js';
import { compareRouteKeys, parseRouteKey } from '../../shared/versions/semantic-version.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import type { AppLanguage } from './version-sources.js';

export const manifestFileName = 'durable-router.versions.json';

export interface VersionedFunctions {
  readonly orchestrations: readonly string[];
  readonly activities: readonly string[];
  readonly entities: readonly string[];
}

export interface ManifestVersion {
  /** major.minor */
  readonly version: RouteKey;
  /** The version's package.json version, when it had one. */
  readonly packageVersion?: string;
  /** `.` for the newest version, `versions/v1_2` for an earlier one. */
  readonly folder: string;
  /** The version's own package.json `main`, relative to its folder. */
  readonly main: string;
  readonly language: AppLanguage;
  /** The dependencies the version's own package.json declares. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Deployed names, by kind. */
  readonly functions: VersionedFunctions;
}

export interface VersionsManifest {
  readonly tool: 'durable-router version-names';
  readonly schema: 1;
  /** The newest version, whose code is the app's root. */
  readonly current: RouteKey;
  /** Oldest first. */
  readonly versions: readonly ManifestVersion[];
  /** The app settings through which clients start the newest version's orchestrators. */
  readonly settings: Readonly<Record<string, string>>;
}

export async function readManifest(appDir: string): Promise<VersionsManifest | undefined> {
  const file = path.join(appDir, manifestFileName);
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalid(file, `it is not JSON (${(cause as Error).message})`);
  }
  return validateManifest(value, file);
}

export function serializeManifest(manifest: VersionsManifest): string {
  const versions = [...manifest.versions].sort((a, b) => compareRouteKeys(a.version, b.version));
  return `${JSON.stringify({ ...manifest, versions }, null, 2)}\n`;
}

function validateManifest(value: unknown, file: string): VersionsManifest {
  const manifest = value as Partial<VersionsManifest> | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.tool !== 'durable-router version-names' || manifest.schema !== 1) {
    throw invalid(file, 'it was not written by this version of durable-router version-names');
  }
  if (!Array.isArray(manifest.versions) || manifest.versions.length === 0) throw invalid(file, 'it lists no versions');
  const current = parseRouteKey(String(manifest.current));
  const seen = new Set<string>();
  for (const entry of manifest.versions as ManifestVersion[]) {
    const version = parseRouteKey(String(entry?.version));
    const functions = entry?.functions as Partial<VersionedFunctions> | undefined;
    const lists = [functions?.orchestrations, functions?.activities, functions?.entities];
    if (typeof entry.folder !== 'string' || typeof entry.main !== 'string' || lists.some((list) => !Array.isArray(list) || list.some((name) => typeof name !== 'string'))) {
      throw invalid(file, `its entry for ${version} lacks its folder, main or functions`);
    }
    if (entry.folder !== '.' && (path.isAbsolute(entry.folder) || entry.folder.split('/').includes('..'))) throw invalid(file, `the folder of ${version} leaves the app`);
    if ((entry.folder === '.') !== (version === current)) throw invalid(file, `only the current version ${current} may be the app's root folder`);
    if (seen.has(version)) throw invalid(file, `it lists ${version} twice`);
    seen.add(version);
  }
  if (!seen.has(current)) throw invalid(file, `the current version ${current} is not among its versions`);
  return manifest as VersionsManifest;
}

function invalid(file: string, reason: string): RouterError {
  return new RouterError('VERSION_NAMES_INVALID', `${file} cannot be read: ${reason}. Restore it from the output of the last migration (it says which version owns which function).`);
}
