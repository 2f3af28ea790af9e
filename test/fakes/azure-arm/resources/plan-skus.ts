/** The App Service plan SKUs the fake knows, with their tier and family as ARM reports them. */
import { badRequest } from '../protocol/arm-error.js';
import type { PlanSku } from './fake-arm-state.js';
import { fieldType, isObject, optionalInteger, optionalString } from './request-body.js';

interface SkuFacts {
  readonly tier: string;
  readonly family: string;
}

const known: Readonly<Record<string, SkuFacts>> = {
  FC1: { tier: 'FlexConsumption', family: 'FC' },
  Y1: { tier: 'Dynamic', family: 'Y' },
  EP1: { tier: 'ElasticPremium', family: 'EP' },
  EP2: { tier: 'ElasticPremium', family: 'EP' },
  EP3: { tier: 'ElasticPremium', family: 'EP' },
  B1: { tier: 'Basic', family: 'B' },
  B2: { tier: 'Basic', family: 'B' },
  B3: { tier: 'Basic', family: 'B' },
  S1: { tier: 'Standard', family: 'S' },
  S2: { tier: 'Standard', family: 'S' },
  S3: { tier: 'Standard', family: 'S' },
  P0V3: { tier: 'PremiumV3', family: 'Pv3' },
  P1V3: { tier: 'PremiumV3', family: 'Pv3' },
  P2V3: { tier: 'PremiumV3', family: 'Pv3' },
  P3V3: { tier: 'PremiumV3', family: 'Pv3' },
};

export const flexConsumptionTier = 'FlexConsumption';

/** How many sites a plan of the tier holds (Flex Consumption: one). */
export function siteLimit(sku: PlanSku): number {
  return sku.tier === flexConsumptionTier ? 1 : 100;
}

export function parseSku(value: unknown): PlanSku {
  if (value === undefined || value === null) throw badRequest("The plan needs a 'sku' (e.g. { name: 'FC1', tier: 'FlexConsumption' }).", 'InvalidRequestContent');
  if (!isObject(value)) throw fieldType('sku', 'an object');
  const name = optionalString(value, 'name', 'sku.name');
  if (name === undefined) throw badRequest("The plan's 'sku.name' is required (e.g. 'FC1', 'EP1', 'Y1').", 'InvalidRequestContent');
  const facts = known[name.toUpperCase()];
  if (facts === undefined) throw badRequest(`The SKU '${name}' is not one the fake ARM knows: use one of ${Object.keys(known).join(', ')}.`);
  const tier = optionalString(value, 'tier', 'sku.tier');
  if (tier !== undefined && tier.toLowerCase() !== facts.tier.toLowerCase()) {
    throw badRequest(`The SKU '${name}' is of the tier '${facts.tier}', not '${tier}'.`);
  }
  const capacity = optionalInteger(value, 'capacity', 'sku.capacity');
  const canonical = name.toUpperCase().replace(/V3$/, 'v3');
  return { name: canonical, tier: facts.tier, size: canonical, family: facts.family, capacity: capacity ?? (facts.tier === flexConsumptionTier || facts.tier === 'Dynamic' ? 0 : 1) };
}
