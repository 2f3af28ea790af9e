import semver from 'semver';
import { trackingStorePrefixPattern } from '../tracking-store/tracking-store-schema.js';
import { versionStates } from './version-map.js';

const routeKeyPattern = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Checks that a value read back from storage is a version map, so a damaged or foreign row fails
 * loudly where it is read instead of deep inside routing. Fields it does not know are kept, so a
 * map written by a newer router survives a round trip through an older one. Returns a reason, or
 * undefined when the value is valid.
 */
export function versionMapProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it is not an object';
  if (!Array.isArray(value.versions)) return '"versions" is not an array';
  const seen = new Set<string>();
  for (const [index, entry] of value.versions.entries()) {
    const problem = entryProblem(entry);
    if (problem !== undefined) return `versions[${index}]: ${problem}`;
    const routeKey = (entry as { routeKey: string }).routeKey;
    if (seen.has(routeKey)) return `versions[${index}]: route key ${routeKey} appears twice`;
    seen.add(routeKey);
  }
  if (value.current !== null) {
    if (typeof value.current !== 'string') return '"current" is neither null nor a route key';
    if (!seen.has(value.current)) return `"current" names ${value.current}, which has no entry`;
  }
  return undefined;
}

function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'not an object';
  if (typeof entry.routeKey !== 'string' || !routeKeyPattern.test(entry.routeKey)) return '"routeKey" is not a major.minor';
  if (typeof entry.state !== 'string' || !(versionStates as readonly string[]).includes(entry.state)) return '"state" is not a version state';
  if (!Array.isArray(entry.versions) || entry.versions.length === 0) return '"versions" is not a non-empty array';
  if (!entry.versions.every((v) => typeof v === 'string' && semver.valid(v) === v)) return '"versions" holds something that is not a version';
  if (entry.latest !== entry.versions.at(-1)) return '"latest" is not the last of "versions"';
  if (!isRecord(entry.app) || !['name', 'url', 'taskHub'].every((key) => typeof (entry.app as Record<string, unknown>)[key] === 'string')) {
    return '"app" lacks a string name, url or taskHub';
  }
  const trackingStore = (entry.app as Record<string, unknown>)['trackingStore'];
  if (trackingStore !== undefined && (typeof trackingStore !== 'string' || !trackingStorePrefixPattern.test(trackingStore))) return '"app.trackingStore" is not a tracking store prefix';
  if (entry.entities !== undefined && (!Array.isArray(entry.entities) || !entry.entities.every((name) => typeof name === 'string'))) return '"entities" is not a list of names';
  if (typeof entry.createdAt !== 'string') return '"createdAt" is not a string';
  for (const key of ['drainedAt', 'decommissionedAt'] as const) {
    if (entry[key] !== undefined && typeof entry[key] !== 'string') return `"${key}" is not a string`;
  }
  if (entry.instances !== undefined) {
    const counts = entry.instances;
    if (!isRecord(counts) || !['pending', 'running', 'suspended'].every((key) => Number.isInteger(counts[key])) || typeof counts.countedAt !== 'string') {
      return '"instances" is not a set of counts';
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
