/**
 * A site's app settings, as the adapter shares them with its caller. Pure.
 * - The adapter owns some (the worker runtime, the deployment storage, ...): written at provision,
 *   kept by every configure, never listed as the caller's.
 * - The caller's names are recorded in one more owned setting, so that a configure replaces exactly
 *   the caller's previous settings while the ones the service or an operator added (e.g.
 *   WEBSITE_RUN_FROM_PACKAGE after a deploy on Consumption) stay.
 * Setting names compare case-insensitively, as App Service stores them.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import type { AppSettings } from '../platform.js';
import { contentShareName } from './azure-names.js';
import type { PlanSku } from './hosting-plans.js';

/** Holds the package storage connection string a Flex app reads its deployment container with. */
export const deploymentStorageSetting = 'DURABLE_ROUTER_DEPLOYMENT_STORAGE';
/** The caller's setting names, comma-separated (names only: never a value). */
export const callerSettingNamesSetting = 'DURABLE_ROUTER_SETTING_NAMES';

/** What Flex Consumption refuses (it takes the runtime from functionAppConfig and deploys from its container). */
export const flexRefusedSettingNames: readonly string[] = Object.freeze([
  'FUNCTIONS_EXTENSION_VERSION', 'FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY', 'FUNCTIONS_WORKER_PROCESS_COUNT', 'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT', 'ENABLE_ORYX_BUILD', 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTOVERVNET', 'WEBSITE_CONTENTSHARE', 'WEBSITE_DNS_SERVER', 'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_NODE_DEFAULT_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_SKIP_CONTENTSHARE_VALIDATION', 'WEBSITE_VNET_ROUTE_ALL',
]);

export interface AdapterSettingsInput {
  readonly sku: PlanSku;
  readonly appName: string;
  readonly packageStorageConnectionString: string;
}

/** The settings a new site starts with: the adapter's own. Values may be secrets. */
export function adapterAppSettings(input: AdapterSettingsInput): Record<string, string> {
  switch (input.sku) {
    case 'FC1':
      return { [deploymentStorageSetting]: input.packageStorageConnectionString };
    case 'EP1':
      return {
        FUNCTIONS_EXTENSION_VERSION: '~4',
        FUNCTIONS_WORKER_RUNTIME: 'node',
        WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: input.packageStorageConnectionString,
        WEBSITE_CONTENTSHARE: contentShareName(input.appName),
      };
    case 'Y1':
      return { FUNCTIONS_EXTENSION_VERSION: '~4', FUNCTIONS_WORKER_RUNTIME: 'node' };
  }
}

/** Names a caller may not set on this SKU: the adapter's own, and on Flex what Flex refuses. */
export function reservedSettingNames(sku: PlanSku): readonly string[] {
  const owned = Object.keys(adapterAppSettings({ sku, appName: 'ab', packageStorageConnectionString: '' }));
  const refused = sku === 'FC1' ? flexRefusedSettingNames : [];
  return [...new Set([...owned, ...refused, callerSettingNamesSetting, deploymentStorageSetting])].sort();
}

/** INVALID_REQUEST naming every setting of the caller's that the SKU keeps for itself. */
export function assertCallerSettingsAllowed(sku: PlanSku, settings: AppSettings): void {
  const reserved = new Set(reservedSettingNames(sku).map((name) => name.toUpperCase()));
  const refused = Object.keys(settings).filter((name) => reserved.has(name.toUpperCase()));
  if (refused.length === 0) return;
  const why = sku === 'FC1' ? 'the Azure platform sets them itself, or Flex Consumption refuses them' : 'the Azure platform sets them itself';
  throw new RouterError('INVALID_REQUEST', `The app settings ${refused.join(', ')} cannot be set on ${sku} apps: ${why}. Leave them out.`, {
    details: { settings: refused },
  });
}

/** The caller's setting names (sorted) as recorded on the site, among those it still has. */
export function callerSettingNames(current: Readonly<Record<string, string>>): string[] {
  const recorded = current[callerSettingNamesSetting];
  if (recorded === undefined || recorded === '') return [];
  return recorded.split(',').filter((name) => name !== '' && Object.hasOwn(current, name)).sort();
}

/**
 * The site's next settings: the current ones without the caller's previous settings, plus the
 * caller's new ones and their names; `changed` is false when that is what the site already has.
 */
export function mergeAppSettings(current: Readonly<Record<string, string>>, wanted: AppSettings): { readonly next: Record<string, string>; readonly changed: boolean } {
  const next: Record<string, string> = { ...current };
  for (const name of callerSettingNames(current)) delete next[name];
  Object.assign(next, wanted);
  const names = Object.keys(wanted).sort();
  if (names.length > 0) next[callerSettingNamesSetting] = names.join(',');
  else delete next[callerSettingNamesSetting];
  return { next, changed: !sameSettings(current, next) };
}

function sameSettings(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => Object.hasOwn(b, name) && a[name] === b[name]);
}
