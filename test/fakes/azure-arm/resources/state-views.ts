/**
 * Read-only views of the fake's state for a test's assertions (and GET /__fake/state): names,
 * placements and states, setting names — never setting values or keys.
 */
import type { FakeArmState } from './fake-arm-state.js';

export interface ResourceGroupView {
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface PlanView {
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly sku: string;
  readonly tier: string;
  readonly numberOfSites: number;
  readonly provisioningState: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SiteView {
  readonly name: string;
  readonly resourceGroup: string;
  readonly plan: string | undefined;
  readonly location: string;
  readonly state: 'Running' | 'Stopped';
  readonly provisioningState: string;
  readonly defaultHostName: string;
  readonly settingNames: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  /** Oldest first: Kudu's status code (0 pending … 3 failed, 4 success) and text. */
  readonly deployments: readonly { readonly id: string; readonly status: number; readonly statusText: string }[];
}

export interface FakeArmStateView {
  resourceGroups(): readonly ResourceGroupView[];
  plans(): readonly PlanView[];
  sites(): readonly SiteView[];
}

export function describeState(state: FakeArmState): { resourceGroups: ResourceGroupView[]; plans: PlanView[]; sites: SiteView[] } {
  const byName = <T extends { name: string }>(items: T[]): T[] => items.sort((a, b) => a.name.localeCompare(b.name));
  return {
    resourceGroups: byName([...state.groups.values()].map((group) => ({ name: group.name, location: group.location, tags: { ...group.tags } }))),
    plans: byName(
      [...state.plans.entries()].map(([key, plan]) => ({
        name: plan.name,
        resourceGroup: plan.resourceGroup,
        location: plan.location,
        sku: plan.sku.name,
        tier: plan.sku.tier,
        numberOfSites: state.sitesOnPlan(key).length,
        provisioningState: plan.provisioningState,
        tags: { ...plan.tags },
      })),
    ),
    sites: byName(
      [...state.sites.values()].map((site) => ({
        name: site.name,
        resourceGroup: site.resourceGroup,
        plan: state.plans.get(site.planKey)?.name,
        location: site.location,
        state: site.state,
        provisioningState: site.provisioningState,
        defaultHostName: site.host.hostName,
        settingNames: Object.keys(site.appSettings).sort(),
        tags: { ...site.tags },
        deployments: site.deployments.map((deployment) => ({ id: deployment.id, status: deployment.status, statusText: deployment.statusText })),
      })),
    ),
  };
}
