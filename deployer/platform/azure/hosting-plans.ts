/**
 * The plan SKUs the adapter provisions Function Apps on, and what differs between them. Pure.
 * - FC1 Flex Consumption: one plan per app (named as the app), code from a deployment blob
 *   container, runtime in `functionAppConfig`, no slots; the runtime/package app settings are refused.
 * - EP1 Elastic Premium and Y1 Consumption (Linux): one plan per router shared by its apps, runtime
 *   in `linuxFxVersion` and the worker app settings; triggers are synced after a deploy.
 */
import type { AppServicePlan } from '@azure/arm-appservice';

export const planSkus = ['FC1', 'EP1', 'Y1'] as const;
export type PlanSku = (typeof planSkus)[number];

export interface HostingPlanKind {
  readonly sku: PlanSku;
  readonly tier: 'FlexConsumption' | 'ElasticPremium' | 'Dynamic';
  /** The plan's `kind` as ARM's own templates write it. */
  readonly planKind: string;
  /** One plan per app (Flex) rather than one shared by the router's apps. */
  readonly planPerApp: boolean;
  /** Whether the scale controller must be told about new triggers after a deploy (not on Flex). */
  readonly syncsTriggers: boolean;
}

const kinds: Readonly<Record<PlanSku, HostingPlanKind>> = {
  FC1: { sku: 'FC1', tier: 'FlexConsumption', planKind: 'functionapp', planPerApp: true, syncsTriggers: false },
  EP1: { sku: 'EP1', tier: 'ElasticPremium', planKind: 'elastic', planPerApp: false, syncsTriggers: true },
  Y1: { sku: 'Y1', tier: 'Dynamic', planKind: 'functionapp', planPerApp: false, syncsTriggers: true },
};

export function hostingPlanKind(sku: PlanSku): HostingPlanKind {
  return kinds[sku];
}

export function isPlanSku(value: string): value is PlanSku {
  return (planSkus as readonly string[]).includes(value);
}

/** The plan resource to create: Linux (`reserved`), tagged as the router's. */
export function planDefinition(sku: PlanSku, location: string, tags: Readonly<Record<string, string>>): AppServicePlan {
  const kind = kinds[sku];
  return {
    location,
    kind: kind.planKind,
    tags: { ...tags },
    sku: { name: kind.sku, tier: kind.tier },
    reserved: true,
    ...(sku === 'EP1' ? { maximumElasticWorkerCount: 20 } : {}),
  };
}
