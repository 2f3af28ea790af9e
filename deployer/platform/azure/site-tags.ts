/**
 * The ARM tags that make a site (and a plan) the router's, and what the adapter reads back from
 * them: whose it is, its route key and version, when it was created and what is deployed on it.
 * ARM compares tag names case-insensitively, so they are read that way. Pure.
 */
import type { ProvisionRequest } from '../platform.js';

export const managedByValue = 'durable-router';

const names = {
  managedBy: 'managed-by',
  owner: 'router-owner',
  routeKey: 'route-key',
  version: 'version',
  createdAt: 'created-at',
  deployedPackage: 'deployed-package',
  deployedAt: 'deployed-at',
} as const;
const platformTagNames = new Set<string>(Object.values(names));
/** Tags Azure adds itself (e.g. hidden-link: for Application Insights). */
const azureTagPrefix = 'hidden-';

export interface OwnedSite {
  readonly routeKey: string;
  readonly version: string;
  readonly createdAt: string;
  readonly deployment: { readonly sha256: string; readonly deployedAt: string } | undefined;
  /** The caller's tags, without the platform's and Azure's own. */
  readonly callerTags: Readonly<Record<string, string>>;
}

export type SiteOwnership =
  | { readonly kind: 'unmanaged' }
  | { readonly kind: 'other-router'; readonly owner: string }
  | { readonly kind: 'owned'; readonly site: OwnedSite };

export function siteTags(owner: string, request: ProvisionRequest, createdAt: string): Record<string, string> {
  return {
    ...request.tags,
    [names.managedBy]: managedByValue,
    [names.owner]: owner,
    [names.routeKey]: request.routeKey,
    [names.version]: request.version,
    [names.createdAt]: createdAt,
  };
}

export function planTags(owner: string): Record<string, string> {
  return { [names.managedBy]: managedByValue, [names.owner]: owner };
}

export function deploymentTags(sha256: string, deployedAt: string): Record<string, string> {
  return { [names.deployedPackage]: sha256, [names.deployedAt]: deployedAt };
}

/** Whether a resource's tags say this router owns it (for plans: they carry no route key). */
export function isOwnedBy(tags: Readonly<Record<string, string>> | undefined, owner: string): boolean {
  const byName = lowerCased(tags);
  return byName.get(names.managedBy) === managedByValue && byName.get(names.owner) === owner;
}

export function siteOwnership(tags: Readonly<Record<string, string>> | undefined, owner: string): SiteOwnership {
  const byName = lowerCased(tags);
  if (byName.get(names.managedBy) !== managedByValue) return { kind: 'unmanaged' };
  const siteOwner = byName.get(names.owner) ?? '';
  const routeKey = byName.get(names.routeKey);
  const version = byName.get(names.version);
  if (siteOwner !== owner) return { kind: 'other-router', owner: siteOwner };
  // Ours in name only, without the tags this adapter always writes: not something to take over.
  if (routeKey === undefined || version === undefined) return { kind: 'unmanaged' };
  const sha256 = byName.get(names.deployedPackage);
  const deployedAt = byName.get(names.deployedAt);
  const callerTags = Object.fromEntries(
    Object.entries(tags ?? {}).filter(([name]) => !platformTagNames.has(name.toLowerCase()) && !name.toLowerCase().startsWith(azureTagPrefix)),
  );
  return {
    kind: 'owned',
    site: {
      routeKey,
      version,
      createdAt: byName.get(names.createdAt) ?? '',
      deployment: sha256 === undefined || deployedAt === undefined ? undefined : { sha256, deployedAt },
      callerTags,
    },
  };
}

function lowerCased(tags: Readonly<Record<string, string>> | undefined): Map<string, string> {
  return new Map(Object.entries(tags ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}
