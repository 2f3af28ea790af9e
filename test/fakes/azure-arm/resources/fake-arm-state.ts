/**
 * What the fake ARM keeps: resource groups, App Service plans and sites of its one subscription,
 * with the lookups ARM's errors follow (a missing group is ResourceGroupNotFound before a missing
 * resource is ResourceNotFound). Names are case-insensitive: maps are keyed by lower-cased names
 * and records keep the casing they were created with.
 */
import { ArmError, armLevelError } from '../protocol/arm-error.js';
import type { DeploymentRecord } from '../sites/deployment-status.js';
import type { SiteHost } from '../sites/site-host.js';

export type ProvisioningState = 'InProgress' | 'Succeeded' | 'Failed';

export interface ResourceGroupRecord {
  readonly name: string;
  readonly location: string;
  tags: Record<string, string>;
  managedBy: string | undefined;
}

export interface PlanSku {
  readonly name: string;
  readonly tier: string;
  readonly size: string;
  readonly family: string;
  readonly capacity: number;
}

export interface PlanRecord {
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  kind: string;
  sku: PlanSku;
  reserved: boolean;
  tags: Record<string, string>;
  /** The writable properties the caller set (maximumElasticWorkerCount, zoneRedundant, ...). */
  settings: Record<string, unknown>;
  provisioningState: ProvisioningState;
  /** The long-running operation that will mark it Succeeded, if one is running. */
  pendingOperation: string | undefined;
}

export interface SiteIdentity {
  readonly type: string;
  readonly principalId: string | undefined;
  readonly tenantId: string | undefined;
}

export interface SiteRecord {
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  kind: string;
  tags: Record<string, string>;
  identity: SiteIdentity | undefined;
  /** Key of its plan in FakeArmState.plans. */
  planKey: string;
  reserved: boolean;
  httpsOnly: boolean;
  /** As the caller set it, without appSettings (GET never shows them, as on App Service). */
  siteConfig: Record<string, unknown>;
  /** The app settings: values are secrets, shown only by listApplicationSettings. */
  appSettings: Record<string, string>;
  functionAppConfig: Record<string, unknown> | undefined;
  /** Other writable properties the caller set (clientAffinityEnabled, publicNetworkAccess, ...). */
  settings: Record<string, unknown>;
  state: 'Running' | 'Stopped';
  provisioningState: ProvisioningState;
  pendingOperation: string | undefined;
  lastModifiedTimeUtc: string;
  readonly host: SiteHost;
  readonly deployments: DeploymentRecord[];
}

export class FakeArmState {
  readonly subscriptionId: string;
  readonly groups = new Map<string, ResourceGroupRecord>();
  readonly plans = new Map<string, PlanRecord>();
  /** Site names are global: keyed by name alone. */
  readonly sites = new Map<string, SiteRecord>();

  constructor(subscriptionId: string) {
    this.subscriptionId = subscriptionId;
  }

  requireGroup(name: string): ResourceGroupRecord {
    const group = this.groups.get(name.toLowerCase());
    if (group === undefined) throw armLevelError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
    return group;
  }

  plan(resourceGroup: string, name: string): PlanRecord | undefined {
    return this.plans.get(planKey(resourceGroup, name));
  }

  requirePlan(resourceGroup: string, name: string): PlanRecord {
    this.requireGroup(resourceGroup);
    const plan = this.plan(resourceGroup, name);
    if (plan === undefined) throw resourceNotFound('Microsoft.Web/serverFarms', name, resourceGroup);
    return plan;
  }

  /** The site, only if it is in that resource group (a site of another group is not found there). */
  site(resourceGroup: string, name: string): SiteRecord | undefined {
    const site = this.sites.get(name.toLowerCase());
    return site !== undefined && site.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() ? site : undefined;
  }

  requireSite(resourceGroup: string, name: string): SiteRecord {
    this.requireGroup(resourceGroup);
    const site = this.site(resourceGroup, name);
    if (site === undefined) throw resourceNotFound('Microsoft.Web/sites', name, resourceGroup);
    return site;
  }

  sitesOnPlan(key: string): SiteRecord[] {
    return [...this.sites.values()].filter((site) => site.planKey === key);
  }

  groupId(group: ResourceGroupRecord): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${group.name}`;
  }

  planId(plan: PlanRecord): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.Web/serverfarms/${plan.name}`;
  }

  siteId(site: SiteRecord): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}`;
  }
}

export function planKey(resourceGroup: string, name: string): string {
  return `${resourceGroup.toLowerCase()}/${name.toLowerCase()}`;
}

export function resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}
