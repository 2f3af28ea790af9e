/**
 * Which operations the fake serves. Those of arm-operations.json take their method, path and
 * api-version from the file when a fake starts; the few the file does not list are additions, each
 * with why; the file's operations the fake leaves out are listed with why (a test keeps the three
 * lists honest against the file).
 */
import { RouterError } from '../../../../shared/errors/router-error.js';
import type { CatalogueOperation } from './operation-catalogue.js';
import type { RouteSpec } from './route-table.js';

const webApiVersion = '2025-05-01';
const resourcesApiVersion = '2025-04-01';
const subscription = '/subscriptions/{subscriptionId}';
const group = `${subscription}/resourceGroups/{resourceGroupName}`;

/** Operations of arm-operations.json the fake serves, by operationId. */
export const servedFromCatalogue = [
  'ResourceGroups_CreateOrUpdate',
  'Tags_CreateOrUpdateAtScope',
  'Tags_UpdateAtScope',
  'AppServicePlans_CreateOrUpdate',
  'AppServicePlans_Get',
  'AppServicePlans_Delete',
  'WebApps_CreateOrUpdate',
  'WebApps_Get',
  'WebApps_Delete',
  'WebApps_ListByResourceGroup',
  'WebApps_ListApplicationSettings',
  'WebApps_UpdateApplicationSettings',
  'WebApps_Restart',
  'WebApps_Stop',
  'WebApps_Start',
  'WebApps_SyncFunctionTriggers',
  'WebApps_ListHostKeys',
  'WebApps_CreateOrUpdateHostSecret',
  'WebApps_ListFunctions',
  'WebApps_CreateOneDeployOperation',
  'WebApps_GetOneDeployStatus',
  'CheckNameAvailability',
] as const;

export interface OperationAddition extends RouteSpec {
  /** Why the fake serves it although arm-operations.json does not list it. */
  readonly note: string;
}

/** Operations the fake serves beyond arm-operations.json (same service, same api-version). */
export const additions: readonly OperationAddition[] = [
  {
    operationId: 'ResourceGroups_Get',
    method: 'GET',
    template: `${subscription}/resourcegroups/{resourceGroupName}`,
    apiVersion: resourcesApiVersion,
    note: 'resourceGroups.get in @azure/arm-resources 7: lets the adapter read a group before writing it.',
  },
  {
    operationId: 'ResourceGroups_CheckExistence',
    method: 'HEAD',
    template: `${subscription}/resourcegroups/{resourceGroupName}`,
    apiVersion: resourcesApiVersion,
    note: 'resourceGroups.checkExistence (204/404, no body): lets the adapter avoid rewriting an existing group.',
  },
  {
    operationId: 'AppServicePlans_ListByResourceGroup',
    method: 'GET',
    template: `${group}/providers/Microsoft.Web/serverfarms`,
    apiVersion: webApiVersion,
    note: 'appServicePlans.listByResourceGroup (paged): finds Flex plans left without their site by a provision that was cut off.',
  },
  {
    operationId: 'OperationResults_Get',
    method: 'GET',
    template: `${subscription}/providers/Microsoft.Web/locations/{location}/operationResults/{operationId}`,
    apiVersion: webApiVersion,
    note: 'The Location URL of the plan and site PUTs: 202 while the operation runs, then 200 with the resource. Its path is the fake\'s choice (the live service\'s is not in the spec).',
  },
];

/** Operations of arm-operations.json the fake leaves out, with why. */
export const omittedFromCatalogue: Readonly<Record<string, string>> = {
  WebApps_ListFunctionKeys: 'Per-function keys: the local Functions host keeps host-level keys only (listHostKeys covers what the router needs).',
  WebApps_CreateOrUpdateFunctionSecret: 'Per-function keys: the local Functions host keeps host-level keys only (createOrUpdateHostSecret covers what the router needs).',
  WebApps_CreateOrUpdateSlot: 'Slots come with a later issue (the slot-swap strategy); Flex Consumption has none.',
  WebApps_GetSlot: 'Slots come with a later issue.',
  WebApps_DeleteSlot: 'Slots come with a later issue.',
  WebApps_UpdateApplicationSettingsSlot: 'Slots come with a later issue.',
  WebApps_UpdateSlotConfigurationNames: 'Slots come with a later issue.',
  WebApps_SwapSlotWithProduction: 'Slots come with a later issue.',
  WebApps_SwapSlotSlot: 'Slots come with a later issue.',
  WebApps_ApplySlotConfigToProduction: 'Slots come with a later issue.',
  WebApps_ResetProductionSlotConfig: 'Slots come with a later issue.',
};

export type ServedOperationId = (typeof servedFromCatalogue)[number] | 'ResourceGroups_Get' | 'ResourceGroups_CheckExistence' | 'AppServicePlans_ListByResourceGroup' | 'OperationResults_Get';

/** The fake's routes: the catalogue's operations as the file gives them, then the additions. */
export function servedRoutes(catalogue: readonly CatalogueOperation[]): RouteSpec[] {
  const fromCatalogue = servedFromCatalogue.map((operationId): RouteSpec => {
    const entry = catalogue.find((operation) => operation.operationId === operationId);
    if (entry === undefined) {
      throw new RouterError('INVALID_CONFIGURATION', `arm-operations.json no longer lists ${operationId}, which the fake ARM serves: update test/fakes/azure-arm/operations/served-operations.ts.`);
    }
    return { operationId, method: entry.method.toUpperCase(), template: entry.path, apiVersion: entry.apiVersion };
  });
  return [...fromCatalogue, ...additions.map(({ note: _note, ...route }) => route)];
}
