/**
 * The naming rule of versioned function names: a version's durable functions are deployed as
 * `<name>_v<major>_<minor>` (`ProcessOrder_v1_3`, `ProcessOrder_v10_12`), except the versions that
 * were deployed before the first migration, whose plain names in-flight instances already hold.
 */
import type { RouteKey } from '../../shared/versions/version-map.js';

const versionedPattern = /^(.+)_v(0|[1-9]\d*)_(0|[1-9]\d*)$/;

export function versionSuffix(routeKey: RouteKey): string {
  return `_v${routeKey.replace('.', '_')}`;
}

/** A name with `routeKey`'s suffix taken off when it has it (so that naming is idempotent). */
export function baseNameOf(name: string, routeKey: RouteKey): string {
  const suffix = versionSuffix(routeKey);
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : name;
}

/** The name a function of `routeKey` is deployed under. */
export function versionedName(name: string, routeKey: RouteKey): string {
  return `${baseNameOf(name, routeKey)}${versionSuffix(routeKey)}`;
}

/** Reads a versioned name back: its base and major.minor, or undefined for a plain name. */
export function parseVersionedName(name: string): { readonly base: string; readonly routeKey: RouteKey } | undefined {
  const match = versionedPattern.exec(name);
  if (match === null) return undefined;
  return { base: match[1] as string, routeKey: `${match[2]}.${match[3]}` };
}

/** Where a previous version's code lives in the migrated app. */
export function versionFolder(routeKey: RouteKey): string {
  return `versions/v${routeKey.replace('.', '_')}`;
}

/**
 * The app setting through which the new version's clients start an orchestrator: letters, digits
 * and underscores only, as app settings on Linux allow.
 */
export function orchestratorSettingName(baseName: string): string {
  return `DURABLE_ROUTER_ORCHESTRATOR_${baseName.replace(/[^A-Za-z0-9_]/g, '_')}`;
}
