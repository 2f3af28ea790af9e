import type { RouteKey } from '../../shared/versions/version-map.js';
import { defaultTrackingStoreNamePrefix } from '../../shared/tracking-store/tracking-store-schema.js';

/**
 * The settings that make an app one of the router's: its own task hub (so its queues and
 * orchestrations are its own) and the shared tracking store (so every version's instances can be
 * queried in one place). They are app settings, not host.json edits: the Functions host reads
 * `AzureFunctionsJobHost__...` settings as overrides of host.json, on Azure and in the local host.
 */
export interface RouterAppSettingsInput {
  readonly routeKey: RouteKey;
  /** Connection string of the storage account shared by all versions. */
  readonly storageConnectionString: string;
  readonly trackingStoreNamePrefix?: string;
}

const durableTask = 'AzureFunctionsJobHost__extensions__durableTask';

export function taskHubNameFor(routeKey: RouteKey): string {
  return `App${routeKey.replace('.', 'x')}`;
}

export function routerAppSettings(input: RouterAppSettingsInput): Record<string, string> {
  const hub = taskHubNameFor(input.routeKey);
  return {
    AzureWebJobsStorage: input.storageConnectionString,
    TASKHUB_NAME: hub,
    [`${durableTask}__hubName`]: hub,
    [`${durableTask}__storageProvider__trackingStoreConnectionName`]: 'AzureWebJobsStorage',
    [`${durableTask}__storageProvider__trackingStoreNamePrefix`]: input.trackingStoreNamePrefix ?? defaultTrackingStoreNamePrefix,
  };
}
