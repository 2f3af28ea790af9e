/**
 * The Azure platform's settings from the environment (ROUTER_PLATFORM=azure). Pure: it reads the
 * given variables and fails with one INVALID_CONFIGURATION error naming each missing or invalid
 * one, never echoing a value (connection strings and tokens are secrets). The result spreads into
 * AzurePlatformOptions: `new AzurePlatform({ ...readAzurePlatformSettings(process.env), owner, logger })`.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import {
  containerNameProblem, locationProblem, normaliseLocation, resourceGroupProblem, subscriptionIdProblem,
} from './azure-names.js';
import { defaultPackageContainer } from './azure-platform-options.js';
import { isPlanSku, type PlanSku } from './hosting-plans.js';
import { loopbackArmEndpointProblem } from './loopback-arm-auth.js';
import { parsePackageStorage } from './package-storage-account.js';

export interface AzurePlatformSettings {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly planSku: PlanSku;
  readonly packageStorage: { readonly connectionString: string; readonly container: string };
  /** Test setting ROUTER_AZURE_ARM_ENDPOINT. */
  readonly armEndpoint?: string;
  /** Test setting ROUTER_AZURE_ARM_TOKEN (secret). */
  readonly armToken?: string;
  readonly pollIntervalMs?: number;
}

export const azureSettingNames = {
  subscriptionId: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'ROUTER_RESOURCE_GROUP',
  location: 'ROUTER_LOCATION',
  planSku: 'ROUTER_PLAN_SKU',
  packageStorage: 'ROUTER_PACKAGE_STORAGE',
  routerStorage: 'ROUTER_STORAGE',
  packageContainer: 'ROUTER_PACKAGE_CONTAINER',
  armEndpoint: 'ROUTER_AZURE_ARM_ENDPOINT',
  armToken: 'ROUTER_AZURE_ARM_TOKEN',
  pollIntervalMs: 'ROUTER_AZURE_POLL_MS',
} as const;

const maxPollMs = 60_000;

export function readAzurePlatformSettings(env: Readonly<Record<string, string | undefined>>): AzurePlatformSettings {
  const problems: string[] = [];
  const named: string[] = [];
  const complain = (name: string, problem: string): void => {
    problems.push(`${name} ${problem}`);
    if (!named.includes(name)) named.push(name);
  };
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const required = (name: string, rule: (value: string) => string | undefined, normalise: (value: string) => string = (value) => value): string => {
    const value = read(name);
    if (value === undefined) {
      complain(name, 'is missing');
      return '';
    }
    const normalised = normalise(value);
    const problem = rule(normalised);
    if (problem !== undefined) complain(name, problem);
    return normalised;
  };

  const subscriptionId = required(azureSettingNames.subscriptionId, subscriptionIdProblem);
  const resourceGroup = required(azureSettingNames.resourceGroup, resourceGroupProblem);
  const location = required(azureSettingNames.location, locationProblem, normaliseLocation);
  const skuValue = (read(azureSettingNames.planSku) ?? 'FC1').toUpperCase();
  if (!isPlanSku(skuValue)) complain(azureSettingNames.planSku, 'must be FC1 (Flex Consumption, the default), EP1 (Elastic Premium) or Y1 (Consumption)');
  const container = read(azureSettingNames.packageContainer) ?? defaultPackageContainer;
  const containerProblem = containerNameProblem(container);
  if (containerProblem !== undefined) complain(azureSettingNames.packageContainer, containerProblem);
  const connectionString = packageStorageOf(read(azureSettingNames.packageStorage), read(azureSettingNames.routerStorage), complain);

  const armEndpoint = read(azureSettingNames.armEndpoint);
  if (armEndpoint !== undefined) {
    const problem = loopbackArmEndpointProblem(armEndpoint);
    if (problem !== undefined) complain(azureSettingNames.armEndpoint, problem);
  }
  const armToken = read(azureSettingNames.armToken);
  if (armToken !== undefined && armEndpoint === undefined) {
    complain(azureSettingNames.armToken, `is a test setting for ${azureSettingNames.armEndpoint} only (on Azure the router's identity gives the token)`);
  }
  const pollText = read(azureSettingNames.pollIntervalMs);
  const pollIntervalMs = pollText === undefined ? undefined : Number(pollText);
  if (pollIntervalMs !== undefined && !(Number.isInteger(pollIntervalMs) && pollIntervalMs >= 1 && pollIntervalMs <= maxPollMs)) {
    complain(azureSettingNames.pollIntervalMs, `must be a whole number of milliseconds from 1 to ${maxPollMs}`);
  }

  if (problems.length > 0 || !isPlanSku(skuValue) || connectionString === undefined) {
    throw new RouterError('INVALID_CONFIGURATION', `ROUTER_PLATFORM=azure needs valid settings: ${problems.join('; ')}.`, { details: { settings: named } });
  }
  return {
    subscriptionId,
    resourceGroup,
    location,
    planSku: skuValue,
    packageStorage: { connectionString, container },
    ...(armEndpoint === undefined ? {} : { armEndpoint }),
    ...(armToken === undefined ? {} : { armToken }),
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
  };
}

/** ROUTER_PACKAGE_STORAGE, else ROUTER_STORAGE when that can hold packages. */
function packageStorageOf(own: string | undefined, routerStorage: string | undefined, complain: (name: string, problem: string) => void): string | undefined {
  if (own !== undefined) {
    const parsed = parsePackageStorage(own);
    if (!parsed.ok) {
      complain(azureSettingNames.packageStorage, parsed.problem);
      return undefined;
    }
    return own;
  }
  if (routerStorage === undefined) {
    complain(azureSettingNames.packageStorage, `is missing (a Storage connection string with a blob endpoint and the account key; ${azureSettingNames.routerStorage}, which would serve, is not set either)`);
    return undefined;
  }
  const parsed = parsePackageStorage(routerStorage);
  if (!parsed.ok) {
    complain(azureSettingNames.packageStorage, `is missing, and ${azureSettingNames.routerStorage} cannot hold packages: it ${parsed.problem}`);
    return undefined;
  }
  return routerStorage;
}
