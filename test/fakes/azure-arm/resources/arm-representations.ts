/** The resources as ARM answers them (GET, PUT, list): the wire shapes of the spec. */
import { planKey, type FakeArmState, type PlanRecord, type ResourceGroupRecord, type SiteRecord } from './fake-arm-state.js';

export function groupJson(state: FakeArmState, group: ResourceGroupRecord): Record<string, unknown> {
  return {
    id: state.groupId(group),
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(Object.keys(group.tags).length > 0 ? { tags: group.tags } : {}),
    ...(group.managedBy === undefined ? {} : { managedBy: group.managedBy }),
    properties: { provisioningState: 'Succeeded' },
  };
}

export function planJson(state: FakeArmState, plan: PlanRecord): Record<string, unknown> {
  const sites = state.sitesOnPlan(planKey(plan.resourceGroup, plan.name));
  return {
    id: state.planId(plan),
    name: plan.name,
    type: 'Microsoft.Web/serverfarms',
    kind: plan.kind,
    location: plan.location,
    tags: plan.tags,
    sku: { ...plan.sku },
    properties: {
      ...plan.settings,
      status: plan.provisioningState === 'Succeeded' ? 'Ready' : 'Creating',
      provisioningState: plan.provisioningState,
      numberOfSites: sites.length,
      maximumNumberOfWorkers: plan.sku.tier === 'FlexConsumption' ? 1000 : 20,
      reserved: plan.reserved,
      resourceGroup: plan.resourceGroup,
      geoRegion: plan.location,
      subscription: state.subscriptionId,
    },
  };
}

export function siteJson(state: FakeArmState, site: SiteRecord): Record<string, unknown> {
  const hostName = site.host.hostName;
  const plan = state.plans.get(site.planKey);
  return {
    id: state.siteId(site),
    name: site.name,
    type: 'Microsoft.Web/sites',
    kind: site.kind,
    location: site.location,
    tags: site.tags,
    ...(site.identity === undefined ? {} : { identity: { type: site.identity.type, ...(site.identity.principalId === undefined ? {} : { principalId: site.identity.principalId, tenantId: site.identity.tenantId }) } }),
    properties: {
      ...site.settings,
      name: site.name,
      state: site.state,
      hostNames: [hostName],
      enabledHostNames: [hostName],
      defaultHostName: hostName,
      hostNameSslStates: [{ name: hostName, sslState: 'Disabled', hostType: 'Standard' }],
      availabilityState: 'Normal',
      usageState: 'Normal',
      enabled: true,
      serverFarmId: plan === undefined ? null : state.planId(plan),
      reserved: site.reserved,
      resourceGroup: site.resourceGroup,
      repositorySiteName: site.name,
      httpsOnly: site.httpsOnly,
      siteConfig: { ...site.siteConfig, appSettings: null },
      ...(site.functionAppConfig === undefined ? {} : { functionAppConfig: site.functionAppConfig }),
      provisioningState: site.provisioningState,
      lastModifiedTimeUtc: site.lastModifiedTimeUtc,
      outboundIpAddresses: '127.0.0.1',
      possibleOutboundIpAddresses: '127.0.0.1',
      ...(plan === undefined ? {} : { sku: plan.sku.tier }),
    },
  };
}
