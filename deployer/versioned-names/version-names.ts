/**
 * The versioned-names migration: one Functions app that holds the new version's code under its
 * versioned names and every earlier version's orchestrators, activities and entities under the
 * names they were deployed with, so that in-flight instances replay on the code that started them.
 * How it works and what it refuses: docs/versioned-names.md.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { readFileIfExists, statIfExists } from '../../shared/files/optional-file.js';
import { compareRouteKeys, parseVersionSelector, routeKeyOf } from '../../shared/versions/semantic-version.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { AppStaging } from './app-staging.js';
import { declaredDependencies, mergeDependencies } from './dependency-merge.js';
import { openPreviousApp } from './previous-app.js';
import { analyzeVersion, registeredFunctions, type DurableFunctions, type VersionAnalysis } from './version-analysis.js';
import { removeOtherRegistrations, renameToVersion } from './version-rewrite.js';
import { loadVersionSources, notCodeFolders, posix, type VersionSources } from './version-sources.js';
import { versionFolder } from './versioned-name.js';
import { manifestFileName, readManifest, serializeManifest, type ManifestVersion, type VersionedFunctions, type VersionsManifest } from './versions-manifest.js';
import { emitJavaScript, keepVersionsOutOfBuild } from './typescript-output.js';

export interface VersionNamesOptions {
  /** The new version's app, with its plain names (or an earlier output of this migration for the same version). */
  readonly appDir: string;
  /** The app that runs now: a folder or a package zip, plain or an earlier output. */
  readonly previous: string;
  /** The new version: `1.3` or `1.3.0`. */
  readonly to: string;
  /** Where the migrated app goes; default: `appDir`, rewritten in place. */
  readonly out?: string;
  /** Earlier versions (major.minor) to leave out: their instances have drained. */
  readonly drop?: readonly string[];
}

export interface VersionNamesResult {
  readonly out: string;
  readonly manifest: VersionsManifest;
  /** The app settings the app needs (also in its local.settings.json and manifest). */
  readonly settings: Readonly<Record<string, string>>;
  /** A TypeScript app: run its `npm run build` before it runs (`release --package` does). */
  readonly needsBuild: boolean;
}

type PackageJson = Record<string, unknown>;

export async function versionFunctionNames(options: VersionNamesOptions): Promise<VersionNamesResult> {
  const routeKey = parseVersionSelector(options.to).routeKey;
  const appDir = path.resolve(options.appDir);
  const out = path.resolve(options.out ?? options.appDir);
  const previous = await openPreviousApp(options.previous);
  try {
    const appManifest = await readManifest(appDir);
    if (appManifest === undefined) await refuseOwnVersionsFolder(appDir);
    const appPackage = await readPackageJson(appDir);
    const appOwn = appManifest?.versions.find((entry) => entry.folder === '.');
    if (appManifest !== undefined && appManifest.current !== routeKey) {
      throw new RouterError('VERSION_NAMES_INVALID', `${appDir} is the migrated app of ${appManifest.current}, not of ${routeKey}: give its plain source, or --to ${appManifest.current}.`);
    }

    const previousManifest = await readManifest(previous.dir);
    const previousPackage = await readPackageJson(previous.dir);
    let earlier: ManifestVersion[] = previousManifest === undefined ? [await plainVersion(previous.dir, previousPackage)] : [...previousManifest.versions];
    earlier = keepOlder(earlier, routeKey, previousManifest !== undefined);
    earlier = dropVersions(earlier, options.drop ?? [], routeKey);

    const staging = await AppStaging.beside(out);
    try {
      const kept: ManifestVersion[] = [];
      for (const entry of earlier) {
        if (entry.folder !== '.') {
          await staging.copyTree(path.join(previous.dir, entry.folder), entry.folder, (relative) => relative.split('/').includes('node_modules'));
          kept.push(entry);
        } else {
          kept.push(await moveIntoFolder(staging, previous.dir, previousPackage, entry));
        }
      }

      const sources = await loadVersionSources(appDir, appOwn?.main ?? mainOf(appPackage, appDir));
      const analysis = analyzeVersion(sources, routeKey);
      const settings = renameToVersion(analysis, routeKey);
      await copyVersion(staging, sources, '.', ['package.json', 'local.settings.json']);
      const root: ManifestVersion = {
        version: routeKey,
        ...(typeof appPackage['version'] === 'string' ? { packageVersion: appPackage['version'] } : {}),
        folder: '.',
        main: sources.main,
        language: sources.language,
        dependencies: appOwn?.dependencies ?? declaredDependencies(appPackage),
        functions: byKind(registeredFunctions(analysis)),
      };
      refuseNameClashes([...kept, root], analysis);

      const main = combinedMain([root, ...kept]);
      const dependencies = mergeDependencies(root, kept);
      await staging.write('package.json', `${JSON.stringify({ ...appPackage, main, dependencies }, null, 2)}\n`);
      if (sources.language === 'typescript') keepVersionsOutOfBuild(staging.dir);
      await staging.write('local.settings.json', await localSettings(appDir, settings));
      const manifest: VersionsManifest = { tool: 'durable-router version-names', schema: 1, current: routeKey, versions: [...kept, root], settings };
      await staging.write(manifestFileName, serializeManifest(manifest));
      await staging.moveTo(out, appDir);
      return { out, manifest: await readManifest(out) as VersionsManifest, settings, needsBuild: sources.language === 'typescript' };
    } catch (error) {
      await staging.discard();
      throw error;
    }
  } finally {
    await previous.close();
  }
}

/** The earlier versions that stay: all but one of the same major.minor, which the new code replaces. */
function keepOlder(earlier: readonly ManifestVersion[], routeKey: RouteKey, migratedBefore: boolean): ManifestVersion[] {
  const newest = earlier.map((entry) => entry.version).sort(compareRouteKeys).at(-1) as RouteKey;
  const order = compareRouteKeys(routeKey, newest);
  if (order > 0) return [...earlier];
  if (order === 0 && migratedBefore) return earlier.filter((entry) => entry.version !== routeKey);
  throw new RouterError(
    'VERSION_NAMES_INVALID',
    order === 0
      ? `The previous app is already ${routeKey}: --to must name a newer major.minor (a patch of the same one is deployed as it is).`
      : `--to ${routeKey} is older than the previous app's newest version ${newest}: versions only move forward.`,
  );
}

function dropVersions(earlier: readonly ManifestVersion[], drop: readonly string[], routeKey: RouteKey): ManifestVersion[] {
  const dropped = new Set<RouteKey>();
  for (const text of drop) {
    const key = parseVersionSelector(text.trim()).routeKey;
    if (key === routeKey) throw new RouterError('VERSION_NAMES_INVALID', `--drop ${key}: that is the new version; only earlier, drained versions can be dropped.`);
    if (!earlier.some((entry) => entry.version === key)) {
      throw new RouterError('VERSION_NAMES_INVALID', `--drop ${key}: the previous app holds no version ${key} (it holds ${earlier.map((entry) => entry.version).join(', ')}).`);
    }
    dropped.add(key);
  }
  return earlier.filter((entry) => !dropped.has(entry.version));
}

/** The previous app's own version (its root) becomes an earlier one: into its folder, without its triggers. */
async function moveIntoFolder(staging: AppStaging, dir: string, packageJson: PackageJson, entry: ManifestVersion): Promise<ManifestVersion> {
  const sources = await loadVersionSources(dir, entry.main);
  const analysis = analyzeVersion(sources);
  removeOtherRegistrations(analysis);
  const folder = versionFolder(entry.version);
  await copyVersion(staging, sources, folder, ['local.settings.json']);
  if (sources.language === 'typescript') {
    for (const file of emitJavaScript(sources)) await staging.write(path.join(folder, file.relative), file.text);
  }
  await staging.write(path.join(folder, 'package.json'), `${JSON.stringify({ ...packageJson, main: entry.main, dependencies: entry.dependencies }, null, 2)}\n`);
  return { ...entry, folder, language: sources.language, functions: byKind(registeredFunctions(analysis)) };
}

/** A version's files into `folder`, its code as rewritten; never its installed packages, local state or build output. */
async function copyVersion(staging: AppStaging, sources: VersionSources, folder: string, leaveOut: readonly string[]): Promise<void> {
  const skippedAtTop = new Set([...notCodeFolders, manifestFileName, ...leaveOut]);
  await staging.copyTree(sources.root, folder, (relative) => {
    const parts = relative.split('/');
    if (skippedAtTop.has(parts[0] as string) || parts.includes('node_modules')) return true;
    return sources.outDir !== undefined && sources.outDir !== '' && (relative === sources.outDir || relative.startsWith(`${sources.outDir}/`));
  });
  for (const file of sources.files) {
    await staging.write(path.join(folder, path.relative(sources.root, file.getFilePath())), file.getFullText());
  }
}

/** A previous app that was never migrated: the version its package.json names, its names plain. */
async function plainVersion(dir: string, packageJson: PackageJson): Promise<ManifestVersion> {
  await refuseOwnVersionsFolder(dir);
  const version = packageJson['version'];
  if (typeof version !== 'string') throw new RouterError('VERSION_NAMES_INVALID', `${path.join(dir, 'package.json')} has no "version": the migration needs the previous app's version.`);
  return {
    version: routeKeyOf(version),
    packageVersion: version,
    folder: '.',
    main: mainOf(packageJson, dir),
    language: 'javascript',
    dependencies: declaredDependencies(packageJson),
    functions: { orchestrations: [], activities: [], entities: [] },
  };
}

function byKind(functions: DurableFunctions): VersionedFunctions {
  return { orchestrations: functions.orchestration, activities: functions.activity, entities: functions.entity };
}

/** Function names are case-insensitive in a Functions app, and entity ids hold theirs in lower case. */
function refuseNameClashes(versions: readonly ManifestVersion[], analysis: VersionAnalysis): void {
  const owners = new Map<string, string>();
  const clashes: string[] = [];
  const claim = (name: string, owner: string): void => {
    const previous = owners.get(name.toLowerCase());
    if (previous !== undefined && previous !== owner) clashes.push(`"${name}": ${previous} and ${owner}`);
    owners.set(name.toLowerCase(), owner);
  };
  for (const version of versions) {
    const { orchestrations, activities, entities } = version.functions;
    for (const name of [...orchestrations, ...activities, ...entities]) claim(name, `${version.version}'s durable function`);
  }
  for (const name of analysis.otherNames) claim(name, 'the new version\'s trigger function');
  if (clashes.length > 0) {
    throw new RouterError('VERSION_NAMES_CONFLICT', `Two functions of the migrated app would have one name (names are case-insensitive); rename the newer one:\n${clashes.map((line) => `  ${line}`).join('\n')}`, {
      details: { clashes },
    });
  }
}

/** One glob for every version: `{dist/src/functions/*.js,versions/v1_2/src/functions/*.js}`. */
function combinedMain(versions: readonly ManifestVersion[]): string {
  const globs = versions.map((entry) => {
    const main = entry.main.replace(/^\.\//, '');
    return entry.folder === '.' ? main : `${entry.folder}/${main}`;
  });
  return globs.length === 1 ? (globs[0] as string) : `{${globs.join(',')}}`;
}

async function localSettings(appDir: string, settings: Readonly<Record<string, string>>): Promise<string> {
  const text = await readFileIfExists(path.join(appDir, 'local.settings.json'));
  let current: { IsEncrypted?: unknown; Values?: Record<string, string> } = { IsEncrypted: false, Values: {} };
  if (text !== undefined) {
    try {
      current = JSON.parse(text) as typeof current;
    } catch (cause) {
      throw new RouterError('VERSION_NAMES_INVALID', `${path.join(appDir, 'local.settings.json')} is not JSON: ${(cause as Error).message}`);
    }
  }
  return `${JSON.stringify({ ...current, Values: { ...(current.Values ?? {}), ...settings } }, null, 2)}\n`;
}

async function readPackageJson(dir: string): Promise<PackageJson> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'package.json'), 'utf8');
  } catch (cause) {
    throw new RouterError('VERSION_NAMES_INVALID', `${dir} has no package.json: name a Functions app folder (or package zip).`, { cause });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as PackageJson;
  } catch {
    // reported below
  }
  throw new RouterError('VERSION_NAMES_INVALID', `${path.join(dir, 'package.json')} is not a JSON object.`);
}

function mainOf(packageJson: PackageJson, dir: string): string {
  const main = packageJson['main'];
  if (typeof main !== 'string' || main === '') {
    throw new RouterError('VERSION_NAMES_INVALID', `${path.join(dir, 'package.json')} has no "main": a v4-model app names its function files there (e.g. "src/functions/*.js").`);
  }
  return posix(main);
}

/** `versions/` is where a migrated app keeps earlier versions; an app of its own with that folder would lose it. */
async function refuseOwnVersionsFolder(dir: string): Promise<void> {
  if ((await statIfExists(path.join(dir, 'versions'))) !== undefined) {
    throw new RouterError('VERSION_NAMES_INVALID', `${dir} has a folder named "versions" but no ${manifestFileName}: the migrated app keeps earlier versions there; rename that folder.`);
  }
}
