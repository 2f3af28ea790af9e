/**
 * Azure's naming rules for what the adapter creates or is configured with, and the names it derives
 * from an app's name. Derived names are never stored first: a provision that resumes after a crash
 * finds what it had started to create. Pure; problems are sentences that never echo a secret.
 */
import { createHash } from 'node:crypto';

/** How many leading characters of a site name make its Functions host id. */
export const hostIdLength = 32;

const subscriptionIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const resourceGroupPattern = /^[-\w.()]{1,90}$/u;
const locationPattern = /^[a-z][a-z0-9]{1,39}$/;
const ownerPattern = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const containerPattern = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/**
 * The Functions host id Azure derives from a site name (lower-cased, cut to 32 characters, trailing
 * hyphens dropped). Two apps with one host id on one storage account stop each other (AZFD0004).
 */
export function hostIdOf(siteName: string): string {
  return siteName.toLowerCase().slice(0, hostIdLength).replace(/-+$/, '');
}

/** The plan every app of a router shares on Elastic Premium and Consumption. */
export function sharedPlanName(owner: string): string {
  return `durable-router-${owner}`;
}

/** Flex Consumption hosts one app per plan: the plan is named as its app. */
export function flexPlanName(appName: string): string {
  return appName;
}

/** The Flex deployment container of an app (a blob container: 3-63 of [a-z0-9-], no "--"). */
export function deploymentContainerName(appName: string): string {
  return derivedStorageName('deploy', appName);
}

/** The Azure Files share an Elastic Premium app keeps its content in (same rules as a container). */
export function contentShareName(appName: string): string {
  return derivedStorageName('content', appName);
}

/** Where a package is kept in the package container: uploaded once per app and content hash. */
export function packageBlobName(appName: string, sha256: string): string {
  return `${packageBlobPrefix(appName)}${sha256}.zip`;
}

export function packageBlobPrefix(appName: string): string {
  return `${appName}/`;
}

export function subscriptionIdProblem(value: string): string | undefined {
  return subscriptionIdPattern.test(value) ? undefined : 'is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)';
}

export function resourceGroupProblem(value: string): string | undefined {
  if (resourceGroupPattern.test(value) && !value.endsWith('.')) return undefined;
  return 'is not a resource group name (1-90 letters, digits, "_", "-", ".", "(" and ")", not ending with ".")';
}

/** Locations are compared as ARM names them ("westeurope"): `normaliseLocation` first. */
export function locationProblem(value: string): string | undefined {
  return locationPattern.test(value) ? undefined : 'is not an Azure location name (such as "westeurope" or "eastus2")';
}

export function normaliseLocation(value: string): string {
  return value.toLowerCase().replace(/\s+/g, '');
}

/** The router id the apps are tagged with; it is also part of the shared plan's name. */
export function ownerProblem(value: string): string | undefined {
  return ownerPattern.test(value) ? undefined : 'is not a router id for Azure (1-32 lower-case letters, digits and inner hyphens)';
}

export function containerNameProblem(value: string): string | undefined {
  return containerPattern.test(value) ? undefined : 'is not a blob container name (3-63 lower-case letters, digits and single inner hyphens)';
}

/**
 * `<prefix>-<the app name, hyphens collapsed, cut>-<8 hex digits of its hash>`: valid for a container
 * or a share, and distinct for distinct app names even when collapsing or cutting made them alike.
 */
function derivedStorageName(prefix: string, appName: string): string {
  const hash = createHash('sha256').update(appName).digest('hex').slice(0, 8);
  const room = 63 - prefix.length - hash.length - 2;
  const readable = appName.replace(/-+/g, '-').slice(0, room).replace(/-+$/, '');
  return `${prefix}-${readable}-${hash}`;
}
