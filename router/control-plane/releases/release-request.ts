/**
 * What a caller asks for when it starts a release, checked before anything is claimed, taken in
 * or provisioned. Pure.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import { parseVersion, routeKeyOf } from '../../../shared/versions/semantic-version.js';
import { defaultReleaseStrategy, isReleaseStrategy, releaseStrategies, type ReleaseStrategy } from '../../../shared/versions/release-strategy.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import { assertSettings } from '../../../deployer/platform/platform-input.js';
import { routerOwnedSettingClashes } from '../../app-configuration/app-settings.js';

/** The strategies this version of the control plane can release with. */
const availableStrategies: readonly ReleaseStrategy[] = ['app-routing', 'orchestration-versioning'];

export interface ReleaseRequest {
  readonly version: string;
  readonly routeKey: RouteKey;
  readonly strategy: ReleaseStrategy;
  /** Make the released version current when it is a new major.minor (default true). */
  readonly promote: boolean;
  /** A path or https URL; undefined when the package is the request body (a zip). */
  readonly packageReference: string | undefined;
  /** The app's own settings (declarative: a release replaces them). */
  readonly appSettings: Readonly<Record<string, string>>;
}

const jsonFields = new Set(['version', 'package', 'strategy', 'promote', 'settings']);

/** `{ version, package, strategy?, promote?, settings? }` */
export function parseJsonReleaseRequest(body: unknown): ReleaseRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The release request must be a JSON object: { "version": "1.2.0", "package": "<path or https URL>" }, or a zip body with ?version=.');
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !jsonFields.has(key));
  if (unknown.length > 0) throw invalid(`Unknown release field(s): ${unknown.join(', ')}. Known: ${[...jsonFields].join(', ')}.`);
  if (typeof record['package'] !== 'string' || record['package'].trim() === '') {
    throw invalid('"package" must name the package: an absolute path under the router\'s package directories or an https URL (or upload a zip as the body).');
  }
  if (record['promote'] !== undefined && typeof record['promote'] !== 'boolean') throw invalid('"promote" must be true or false.');
  return build(record['version'], record['strategy'], (record['promote'] as boolean | undefined) ?? true, record['package'], record['settings']);
}

/** A zip body: the rest comes from the query (`version`, `strategy`, `promote`). */
export function parseUploadReleaseRequest(query: { readonly version?: string | null; readonly strategy?: string | null; readonly promote?: string | null }): ReleaseRequest {
  const promote = query.promote ?? undefined;
  if (promote !== undefined && promote !== 'true' && promote !== 'false') throw invalid('The query parameter "promote" must be true or false.');
  if (query.version === undefined || query.version === null || query.version === '') {
    throw invalid('A zip upload names its version in the query (?version=1.2.0) or the x-release-version header.');
  }
  return build(query.version, query.strategy ?? undefined, promote !== 'false', undefined, undefined);
}

function build(version: unknown, strategy: unknown, promote: boolean, packageReference: string | undefined, settings: unknown): ReleaseRequest {
  if (typeof version !== 'string') throw invalid('"version" must be a version such as "1.2.0".');
  const parsed = parseVersion(version);
  const chosen = parseStrategy(strategy);
  return {
    version: parsed.text,
    routeKey: routeKeyOf(parsed),
    strategy: chosen,
    promote,
    packageReference,
    appSettings: parseAppSettings(settings, chosen),
  };
}

function parseStrategy(value: unknown): ReleaseStrategy {
  if (value === undefined || value === null) return defaultReleaseStrategy;
  if (!isReleaseStrategy(value)) throw invalid(`"strategy" must be one of ${releaseStrategies.join(', ')}.`);
  const strategy = value;
  if (!availableStrategies.includes(strategy)) {
    throw new RouterError(
      'STRATEGY_NOT_AVAILABLE',
      `The strategy "${strategy}" is not available yet: this version of durable-router releases with ${availableStrategies.join(', ')} only. Omit "strategy" or use "app-routing".`,
      { details: { strategy, available: [...availableStrategies] } },
    );
  }
  return strategy;
}

function parseAppSettings(value: unknown, strategy: ReleaseStrategy): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('"settings" must be an object of app setting names to string values.');
  const settings = value as Record<string, unknown>;
  for (const [name, setting] of Object.entries(settings)) {
    if (typeof setting !== 'string') throw invalid(`The app setting "${name.slice(0, 64)}" must have a string value.`);
  }
  assertSettings(settings as Record<string, string>);
  const clashes = routerOwnedSettingClashes(settings as Record<string, string>, strategy === 'orchestration-versioning');
  if (clashes.length > 0) throw invalid(`The app settings ${clashes.join(', ')} are set by the router itself (task hub, shared tracking store, orchestration version); leave them out.`);
  return Object.freeze({ ...(settings as Record<string, string>) });
}

function invalid(message: string): RouterError {
  return new RouterError('INVALID_REQUEST', message);
}
