/**
 * What must be at a package's root before anything is provisioned for it: a `host.json` (the
 * Functions host's own file, version "2.0") and a `package.json` whose version is the one being
 * released. Pure: the caller reads the two files.
 */
import { RouterError } from '../../../shared/errors/router-error.js';

export interface PackageRoot {
  /** Every file path in the package (relative, "/"-separated). */
  readonly paths: readonly string[];
  /** Contents of the root host.json and package.json, when the package has them. */
  readonly hostJson: string | undefined;
  readonly packageJson: string | undefined;
}

export interface PackageManifest {
  readonly name: string | undefined;
  readonly version: string;
  /** The names package.json's `dependencies` declares. */
  readonly dependencies: readonly string[];
}

export function checkPackageRoot(root: PackageRoot, releasedVersion: string): PackageManifest {
  if (root.hostJson === undefined) throw missing('host.json', root.paths);
  if (root.packageJson === undefined) throw missing('package.json', root.paths);
  const host = parseObject(root.hostJson, 'host.json');
  if (host['version'] !== '2.0') {
    throw new RouterError('PACKAGE_INVALID', `The package's host.json must say "version": "2.0" (the Functions host's schema), not ${JSON.stringify(host['version'] ?? null)}.`);
  }
  const pkg = parseObject(root.packageJson, 'package.json');
  const version = pkg['version'];
  if (typeof version !== 'string') {
    throw new RouterError('PACKAGE_VERSION_MISMATCH', `The package's package.json has no "version"; set it to ${releasedVersion}, the version being released.`, {
      details: { releasedVersion, packageVersion: null },
    });
  }
  if (version !== releasedVersion) {
    throw new RouterError(
      'PACKAGE_VERSION_MISMATCH',
      `The package's package.json says version ${JSON.stringify(version)}, but the release is for ${releasedVersion}: release ${JSON.stringify(version)} or set package.json's version to ${releasedVersion}.`,
      { details: { releasedVersion, packageVersion: version } },
    );
  }
  const dependencies = pkg['dependencies'];
  if (dependencies !== undefined && (typeof dependencies !== 'object' || dependencies === null || Array.isArray(dependencies))) {
    throw new RouterError('PACKAGE_INVALID', 'The package\'s package.json "dependencies" must be an object of names and versions.');
  }
  return { name: typeof pkg['name'] === 'string' ? pkg['name'] : undefined, version, dependencies: Object.keys(dependencies ?? {}) };
}

function missing(file: string, paths: readonly string[]): RouterError {
  const wrapped = wrappingFolder(file, paths);
  const hint = wrapped === undefined ? '' : ` It is in the folder "${wrapped}/": package the folder's contents, not the folder itself.`;
  return new RouterError('PACKAGE_INVALID', `The package has no ${file} at its root; a Functions app package has host.json and package.json at the top.${hint}`);
}

/** The one top-level folder the whole package sits in, when the file is at that folder's root. */
function wrappingFolder(file: string, paths: readonly string[]): string | undefined {
  const tops = new Set(paths.map((entry) => entry.split('/')[0]));
  const [only] = tops;
  return tops.size === 1 && only !== undefined && paths.includes(`${only}/${file}`) ? only : undefined;
}

function parseObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new RouterError('PACKAGE_INVALID', `The package's ${file} is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RouterError('PACKAGE_INVALID', `The package's ${file} must hold a JSON object.`);
  return value as Record<string, unknown>;
}
