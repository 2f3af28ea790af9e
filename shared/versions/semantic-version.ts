import semver from 'semver';
import { RouterError } from '../errors/router-error.js';
import type { RouteKey } from './version-map.js';

/**
 * A full version as released: strict "MAJOR.MINOR.PATCH", optionally with a prerelease
 * ("1.3.0-beta.1", which sorts before "1.3.0"). Build metadata ("1.2.3+abc") is refused: semver
 * ignores it when comparing, so "1.2.3+a" and "1.2.3+b" would be two packages with one identity.
 */
export interface Version {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: boolean;
}

/** What a request may name: one full version, or a major.minor line. */
export type VersionSelector =
  | { readonly kind: 'version'; readonly version: Version; readonly routeKey: RouteKey }
  | { readonly kind: 'routeKey'; readonly routeKey: RouteKey };

const echoLimit = 64;
const routeKeyPattern = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function parseVersion(input: string): Version {
  const parsed = strictParse(input);
  if (parsed === undefined) {
    throw invalidVersion(input, 'expected a full semantic version such as "1.2.3" (a prerelease such as "1.2.3-beta.1" is allowed; a leading "v" or build metadata "+..." is not)');
  }
  return parsed;
}

/** Parses an `x-app-version` header value: "1.2.3" (that version) or "1.2" (that major.minor). */
export function parseVersionSelector(input: string): VersionSelector {
  const routeKey = routeKeyFromText(input);
  if (routeKey !== undefined) return { kind: 'routeKey', routeKey };
  const version = strictParse(input);
  if (version === undefined) {
    throw invalidVersion(input, 'expected a full version such as "1.2.3" or a major.minor such as "1.2"');
  }
  return { kind: 'version', version, routeKey: routeKeyOf(version) };
}

/** Parses a route key as given by a user (e.g. in an admin URL): "major.minor", nothing else. */
export function parseRouteKey(input: string): RouteKey {
  const routeKey = routeKeyFromText(input);
  if (routeKey === undefined) throw invalidVersion(input, 'expected a major.minor such as "1.2"');
  return routeKey;
}

/** The major.minor a version belongs to; the patch (and prerelease) never matters for routing. */
export function routeKeyOf(version: Version | string): RouteKey {
  const { major, minor } = typeof version === 'string' ? parseVersion(version) : version;
  return `${major}.${minor}`;
}

/** Semver order of two full versions (prerelease before release). */
export function compareVersions(a: Version | string, b: Version | string): number {
  return semver.compare(textOf(a), textOf(b));
}

/** Numeric order of two route keys ("1.10" after "1.9"). */
export function compareRouteKeys(a: RouteKey, b: RouteKey): number {
  const [aMajor, aMinor] = routeKeyParts(a);
  const [bMajor, bMinor] = routeKeyParts(b);
  return aMajor - bMajor || aMinor - bMinor;
}

function textOf(version: Version | string): string {
  return typeof version === 'string' ? parseVersion(version).text : version.text;
}

function routeKeyParts(routeKey: RouteKey): [number, number] {
  const match = routeKeyPattern.exec(routeKey);
  if (match === null) throw invalidVersion(routeKey, 'expected a major.minor such as "1.2"');
  return [Number(match[1]), Number(match[2])];
}

function routeKeyFromText(input: string): RouteKey | undefined {
  const match = routeKeyPattern.exec(input);
  if (match === null) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return Number.isSafeInteger(major) && Number.isSafeInteger(minor) ? `${major}.${minor}` : undefined;
}

function strictParse(input: string): Version | undefined {
  // semver accepts a leading "v", surrounding spaces and build metadata; only its canonical form is ours.
  const parsed = semver.parse(input);
  if (parsed === null || parsed.version !== input || parsed.build.length > 0) return undefined;
  return { text: parsed.version, major: parsed.major, minor: parsed.minor, patch: parsed.patch, prerelease: parsed.prerelease.length > 0 };
}

function invalidVersion(input: string, expected: string): RouterError {
  const shown = input.length > echoLimit ? `${input.slice(0, echoLimit)}…` : input;
  return new RouterError('INVALID_VERSION', `"${shown}" is not a valid version: ${expected}.`, { details: { version: shown } });
}
