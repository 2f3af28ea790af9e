/**
 * The environment a site's process gets: its app settings, plus what App Service sets itself —
 * WEBSITE_HOSTNAME (the default host name), WEBSITE_SITE_NAME, WEBSITE_RESOURCE_GROUP, WEBSITE_SKU
 * — and the worker runtime: on Flex Consumption from `functionAppConfig.runtime` (the settings may
 * not name it), on other plans from the settings or, failing them, from `linuxFxVersion`.
 */
import type { PlanRecord, SiteRecord } from '../resources/fake-arm-state.js';
import { workerRuntimeOf } from '../resources/flex-consumption.js';
import { flexConsumptionTier } from '../resources/plan-skus.js';

export function processSettings(site: SiteRecord, plan: PlanRecord | undefined): Record<string, string> {
  const runtime = workerRuntimeOf(site.functionAppConfig, site.appSettings, site.siteConfig);
  const implied: Record<string, string> = {};
  if (plan?.sku.tier === flexConsumptionTier) {
    if (runtime !== undefined) implied['FUNCTIONS_WORKER_RUNTIME'] = runtime;
    implied['FUNCTIONS_EXTENSION_VERSION'] = '~4';
  } else if (runtime !== undefined && !Object.keys(site.appSettings).some((name) => name.toUpperCase() === 'FUNCTIONS_WORKER_RUNTIME')) {
    implied['FUNCTIONS_WORKER_RUNTIME'] = runtime;
  }
  return {
    ...implied,
    ...site.appSettings,
    WEBSITE_HOSTNAME: site.host.hostName,
    WEBSITE_SITE_NAME: site.name,
    WEBSITE_RESOURCE_GROUP: site.resourceGroup,
    ...(plan === undefined ? {} : { WEBSITE_SKU: plan.sku.tier }),
  };
}
