/**
 * App settings: list (POST .../config/appsettings/list) and update (PUT .../config/appsettings),
 * which replaces the whole set — a setting left out is removed — in the dictionary wire format
 * `{ properties: { NAME: value } }`. The site's process restarts with the new settings.
 */
import { badRequest } from '../protocol/arm-error.js';
import { processSettings } from '../sites/process-settings.js';
import { checkedSettings } from './app-setting-names.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import type { FakeArmState, SiteRecord } from './fake-arm-state.js';
import { flexAppSettingsProblem } from './flex-consumption.js';
import { flexConsumptionTier } from './plan-skus.js';
import { fieldType, isObject, optionalString, requireBody } from './request-body.js';

export function siteSettingsOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    WebApps_ListApplicationSettings: {
      run: async ({ params }) => ({ status: 200, body: settingsJson(state, state.requireSite(params['resourceGroupName']!, params['name']!)) }),
    },
    WebApps_UpdateApplicationSettings: {
      run: async ({ params, body }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const fields = requireBody(body);
        optionalString(fields, 'kind');
        const properties = fields['properties'];
        if (!isObject(properties)) {
          throw badRequest("The app settings go in 'properties' as a dictionary: { properties: { NAME: 'value' } } (not the [{ name, value }] array of siteConfig).", 'InvalidRequestContent');
        }
        const settings: Record<string, string> = {};
        for (const [name, value] of Object.entries(properties)) {
          if (typeof value !== 'string') throw fieldType(`properties.${name}`, 'a string');
          settings[name] = value;
        }
        checkedSettings(settings);
        const plan = state.plans.get(site.planKey);
        if (plan?.sku.tier === flexConsumptionTier) {
          const problem = flexAppSettingsProblem(Object.keys(settings));
          if (problem !== undefined) throw problem;
        }
        // The process takes them first: settings it cannot start with are refused, not half applied.
        await site.host.applySettings(processSettings({ ...site, appSettings: settings }, plan));
        site.appSettings = settings;
        return { status: 200, body: settingsJson(state, site) };
      },
    },
  };
}

function settingsJson(state: FakeArmState, site: SiteRecord): Record<string, unknown> {
  return {
    id: `${state.siteId(site)}/config/appsettings`,
    name: 'appsettings',
    type: 'Microsoft.Web/sites/config',
    location: site.location,
    properties: { ...site.appSettings },
  };
}
