/**
 * Sites (Function Apps): create or update (long-running; the site really exists from the first
 * answer: its app is provisioned and its HTTPS front listens), get, delete (with its plan when that
 * is left empty, unless deleteEmptyServerFarm=false), list by resource group, restart, stop, start.
 */
import { randomUUID } from 'node:crypto';
import { fakeArmNow } from '../accounting/fake-arm-accounting.js';
import { ArmError, badRequest, conflict } from '../protocol/arm-error.js';
import { pageOf } from '../protocol/paging.js';
import { processSettings } from '../sites/process-settings.js';
import { SiteHost, siteRoot } from '../sites/site-host.js';
import { checkedSettings } from './app-setting-names.js';
import { siteJson } from './arm-representations.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { planKey, type PlanRecord, type SiteIdentity, type SiteRecord } from './fake-arm-state.js';
import { flexAppSettingsProblem, flexSiteConfigProblem, parseFlexFunctionAppConfig } from './flex-consumption.js';
import { acceptLongRunningPut } from './long-running-put.js';
import { flexConsumptionTier, siteLimit } from './plan-skus.js';
import { fieldType, isObject, optionalBoolean, optionalObject, optionalString, optionalTags, requireBody, requireLocation, type JsonObject } from './request-body.js';
import { normalizeLocation, siteNameProblem } from './resource-names.js';

const identityTypes = ['SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned', 'None'];
const otherWritableProperties = ['clientAffinityEnabled', 'publicNetworkAccess', 'keyVaultReferenceIdentity', 'virtualNetworkSubnetId', 'clientCertEnabled'];
const tenantId = randomUUID();

export function siteOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    WebApps_CreateOrUpdate: {
      ownsDelay: true,
      run: async ({ params, body }) => {
        const group = state.requireGroup(params['resourceGroupName']!);
        const name = params['name']!;
        const problem = siteNameProblem(name);
        if (problem !== undefined) throw badRequest(problem);
        const fields = requireBody(body);
        const location = normalizeLocation(requireLocation(fields));
        const kind = optionalString(fields, 'kind') ?? 'app';
        if (!kind.toLowerCase().split(',').map((part) => part.trim()).includes('functionapp')) {
          throw badRequest(`The fake ARM runs Function Apps only: 'kind' must include 'functionapp' (e.g. 'functionapp,linux'), not '${kind}'.`);
        }
        const tags = optionalTags(fields) ?? {};
        const identityType = parseIdentityType(optionalObject(fields, 'identity'));
        const properties = optionalObject(fields, 'properties') ?? {};

        const siteConfigIn = optionalObject(properties, 'siteConfig', 'properties.siteConfig');
        const { appSettings: appSettingsIn, ...siteConfig } = siteConfigIn ?? {};
        const appSettings = appSettingsIn === undefined || appSettingsIn === null ? undefined : parseNameValuePairs(appSettingsIn);
        const functionAppConfigIn = optionalObject(properties, 'functionAppConfig', 'properties.functionAppConfig');
        const httpsOnly = optionalBoolean(properties, 'httpsOnly', 'properties.httpsOnly') ?? false;
        const settings: Record<string, unknown> = {};
        for (const field of otherWritableProperties) if (properties[field] !== undefined && properties[field] !== null) settings[field] = properties[field];
        const serverFarmId = optionalString(properties, 'serverFarmId', 'properties.serverFarmId');

        const existing = state.sites.get(name.toLowerCase());
        if (existing !== undefined && existing.resourceGroup.toLowerCase() !== group.name.toLowerCase()) throw nameTaken(name);
        if (existing === undefined && context.faults.isReserved(name)) throw nameTaken(name);

        const plan = resolvePlan(context, serverFarmId, existing);
        if (plan.location !== location) throw badRequest(`The site's location '${location}' differs from its plan's '${plan.location}': a site runs in its plan's region.`);
        if (plan.provisioningState !== 'Succeeded') throw conflict(`The plan '${plan.name}' is still being created (provisioningState ${plan.provisioningState}): wait for its operation to complete.`);
        const key = planKey(plan.resourceGroup, plan.name);
        const neighbours = state.sitesOnPlan(key).filter((site) => site !== existing);
        if (neighbours.length >= siteLimit(plan.sku)) {
          throw conflict(plan.sku.tier === flexConsumptionTier
            ? `The Flex Consumption plan '${plan.name}' already hosts the site '${neighbours[0]!.name}': a Flex Consumption plan holds one site.`
            : `The plan '${plan.name}' holds ${siteLimit(plan.sku)} sites already.`);
        }

        const flex = plan.sku.tier === flexConsumptionTier;
        let functionAppConfig: JsonObject | undefined;
        if (flex) {
          functionAppConfig = parseFlexFunctionAppConfig(functionAppConfigIn ?? existing?.functionAppConfig);
          const configProblem = flexSiteConfigProblem(siteConfig);
          if (configProblem !== undefined) throw configProblem;
          const settingsProblem = flexAppSettingsProblem(Object.keys(appSettings ?? {}));
          if (settingsProblem !== undefined) throw settingsProblem;
        } else if (functionAppConfigIn !== undefined) {
          throw badRequest(`'properties.functionAppConfig' is for Flex Consumption sites; the plan '${plan.name}' is ${plan.sku.tier}.`);
        }
        const site = existing ?? (await createSite(context, { name, resourceGroup: group.name, location, planKey: key }));
        Object.assign(site, {
          kind,
          tags,
          identity: identityOf(identityType, site.identity),
          planKey: key,
          reserved: plan.reserved,
          httpsOnly,
          siteConfig: siteConfigIn === undefined ? site.siteConfig : siteConfig,
          functionAppConfig,
          settings,
          lastModifiedTimeUtc: new Date().toISOString(),
        });
        if (appSettings !== undefined) site.appSettings = appSettings;
        await site.host.applySettings(processSettings(site, plan));
        return acceptLongRunningPut(context, { operationId: 'WebApps_CreateOrUpdate', resourceId: state.siteId(site), location }, site, () => {
          if (state.sites.get(site.name.toLowerCase()) !== site) throw new ArmError(404, 'ResourceNotFound', `The site '${site.name}' was deleted while it was being created.`);
          return siteJson(state, site);
        });
      },
    },
    WebApps_Get: {
      run: async ({ params }) => ({ status: 200, body: siteJson(state, state.requireSite(params['resourceGroupName']!, params['name']!)) }),
    },
    WebApps_Delete: {
      run: async ({ params, query }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const deleteEmptyPlan = query.get('deleteEmptyServerFarm')?.toLowerCase() !== 'false';
        state.sites.delete(site.name.toLowerCase());
        if (deleteEmptyPlan && state.sitesOnPlan(site.planKey).length === 0) state.plans.delete(site.planKey);
        await site.host.delete();
        return { status: 200 };
      },
    },
    WebApps_ListByResourceGroup: {
      run: async (request) => {
        const group = state.requireGroup(request.params['resourceGroupName']!);
        const sites = [...state.sites.values()]
          .filter((site) => site.resourceGroup.toLowerCase() === group.name.toLowerCase())
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((site) => siteJson(state, site));
        return { status: 200, body: pageOf(sites, request, context.settings.pageSize, context.endpoint()) };
      },
    },
    WebApps_Restart: {
      run: async ({ params, query }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const restart = async (): Promise<void> => {
          const startedAt = fakeArmNow();
          try {
            await site.host.restart();
          } finally {
            context.accounting.recordBusy({ kind: 'restart', operationId: 'WebApps_Restart', resource: state.siteId(site), startedAt, endedAt: fakeArmNow() });
          }
        };
        // As on App Service, the call returns at once unless synchronous=true asks to wait.
        if (query.get('synchronous')?.toLowerCase() === 'true') await restart();
        else context.background(`restarting ${site.name}`, restart);
        return { status: 200 };
      },
    },
    WebApps_Stop: {
      run: async ({ params }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        site.state = 'Stopped';
        await site.host.stop();
        return { status: 200 };
      },
    },
    WebApps_Start: {
      run: async ({ params }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        site.state = 'Running';
        await site.host.start();
        return { status: 200 };
      },
    },
  };
}

async function createSite(context: FakeArmContext, identity: { name: string; resourceGroup: string; location: string; planKey: string }): Promise<SiteRecord> {
  const host = await SiteHost.create({
    root: siteRoot(context.settings.dataDir, identity.name),
    siteName: identity.name,
    logger: context.logger,
    startTimeoutMs: context.settings.siteStartTimeoutMs,
    onAppLog: context.onAppLog,
  }, () => new Set([...context.state.sites.values()].flatMap((site) => site.host.ports)));
  const site: SiteRecord = {
    ...identity,
    kind: 'functionapp',
    tags: {},
    identity: undefined,
    reserved: false,
    httpsOnly: false,
    siteConfig: {},
    appSettings: {},
    functionAppConfig: undefined,
    settings: {},
    state: 'Running',
    provisioningState: 'InProgress',
    pendingOperation: undefined,
    lastModifiedTimeUtc: new Date().toISOString(),
    host,
    deployments: [],
  };
  context.state.sites.set(identity.name.toLowerCase(), site);
  return site;
}

function resolvePlan(context: FakeArmContext, serverFarmId: string | undefined, existing: SiteRecord | undefined): PlanRecord {
  const { state } = context;
  if (serverFarmId === undefined) {
    const current = existing === undefined ? undefined : state.plans.get(existing.planKey);
    if (current === undefined) throw badRequest("A site needs 'properties.serverFarmId': the ARM id of its App Service plan.");
    return current;
  }
  const parts = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/serverfarms\/([^/]+)$/i.exec(serverFarmId);
  if (parts === null) throw badRequest(`'properties.serverFarmId' must be the ARM id of a plan (/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Web/serverfarms/{name}), not '${serverFarmId}'.`);
  if (parts[1]!.toLowerCase() !== state.subscriptionId.toLowerCase()) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${parts[1]}' could not be found.`);
  const plan = state.plan(parts[2]!, parts[3]!);
  if (plan === undefined) throw new ArmError(404, 'NotFound', `Server farm with name ${parts[3]} not found in resource group ${parts[2]}.`);
  return plan;
}

function parseIdentityType(identity: JsonObject | undefined): string | undefined {
  if (identity === undefined) return undefined;
  const type = optionalString(identity, 'type', 'identity.type');
  const known = identityTypes.find((candidate) => candidate.toLowerCase() === type?.replace(/\s+/g, ' ').toLowerCase());
  if (known === undefined) throw badRequest(`'identity.type' must be one of ${identityTypes.map((candidate) => `'${candidate}'`).join(', ')}.`);
  return known;
}

function identityOf(type: string | undefined, current: SiteIdentity | undefined): SiteIdentity | undefined {
  if (type === undefined || type === 'None') return undefined;
  if (!type.startsWith('SystemAssigned')) return { type, principalId: undefined, tenantId: undefined };
  return { type, principalId: current?.principalId ?? randomUUID(), tenantId };
}

/** siteConfig.appSettings: the [{ name, value }] array form (the settings API takes a dictionary). */
function parseNameValuePairs(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) throw fieldType('properties.siteConfig.appSettings', 'an array of { name, value }');
  const settings: Record<string, string> = {};
  value.forEach((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry['name'] !== 'string' || typeof entry['value'] !== 'string') {
      throw fieldType(`properties.siteConfig.appSettings[${index}]`, '{ name: string, value: string }');
    }
    settings[entry['name']] = entry['value'];
  });
  return checkedSettings(settings);
}

function nameTaken(name: string): ArmError {
  return conflict(`Website with given name ${name} already exists.`);
}
