/**
 * A package must carry the production dependencies its package.json declares, in its
 * `node_modules`: neither platform installs them, so one missing would only show at deploy as
 * "Cannot find module". Checked before anything is provisioned. Pure.
 */
import { RouterError } from '../../../shared/errors/router-error.js';

/**
 * What the local Functions host lends every app from durable-router's own install (see
 * deployer/host/app-loading/host-package-fallback.ts), so that an app released without
 * `node_modules` still runs there. On Azure an app must ship them itself; this check cannot tell
 * which platform a package is for, so it does not ask for them.
 */
export const hostLentPackages: readonly string[] = Object.freeze(['@azure/functions', 'durable-functions']);

export interface ShippedDependencies {
  /** package.json's `dependencies` names (not dev, optional or peer ones). */
  readonly declared: readonly string[];
  /** Every file path in the package (relative, "/"-separated). */
  readonly paths: readonly string[];
}

/** The declared dependencies the package does not ship (no `node_modules/<name>/package.json`), in declared order. */
export function missingDependencies(shipped: ShippedDependencies, lent: readonly string[] = hostLentPackages): string[] {
  const present = new Set(shipped.paths);
  return shipped.declared.filter((name) => !lent.includes(name) && !present.has(`node_modules/${name}/package.json`));
}

export function checkDependenciesShipped(shipped: ShippedDependencies, lent: readonly string[] = hostLentPackages): void {
  const missing = missingDependencies(shipped, lent);
  if (missing.length === 0) return;
  const names = missing.join(', ');
  const hasModules = shipped.paths.some((entry) => entry.startsWith('node_modules/'));
  const hasLock = shipped.paths.includes('package-lock.json');
  const what = hasModules
    ? `its node_modules lacks ${missing.length === 1 ? 'it' : 'them'}`
    : `it ships no node_modules${hasLock ? ' (a package-lock.json alone is not installed: no platform installs dependencies)' : ' and no package-lock.json'}`;
  throw new RouterError(
    'PACKAGE_DEPENDENCIES_MISSING',
    `The package's package.json declares the ${missing.length === 1 ? 'dependency' : 'dependencies'} ${names}, but ${what}. ` +
      'Run "npm ci --omit=dev" (or "npm install") in the app before zipping it, or release the app\'s directory with "durable-router release", which packages its installed production dependencies (or installs them from its package-lock.json).',
    { details: { missing } },
  );
}
