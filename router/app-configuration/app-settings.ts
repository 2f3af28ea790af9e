import { RouterError } from '../../shared/errors/router-error.js';
import { defaultTrackingStoreNamePrefix } from '../../shared/tracking-store/tracking-store-schema.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { taskHubNameFor } from './app-naming.js';

/**
 * The settings that make an app one of the router's: its own task hub (so its queues and
 * orchestrations are its own) and the shared tracking store (so every version's instances can be
 * queried in one place). They are app settings, not host.json edits: the Functions host reads
 * `AzureFunctionsJobHost__...` settings as overrides of host.json, on Azure and in the local host.
 */
export interface RouterAppSettingsInput {
  readonly routeKey: RouteKey;
  /** The release's full version: every orchestration the app starts records it (Durable Functions' defaultVersion). */
  readonly version: string;
  /** The owning router (default "local"); part of the task hub name. */
  readonly routerId?: string;
  /** The app's task hub when it already has one (a patch keeps its app's hub); default derived from the route key. */
  readonly taskHub?: string;
  /** Connection string of the storage account shared by all versions. */
  readonly storageConnectionString: string;
  readonly trackingStoreNamePrefix?: string;
  /** The app's own settings, from its release; they may not name a router-owned setting. */
  readonly appSettings?: Readonly<Record<string, string>>;
  /**
   * Released with orchestration versioning: the app also gets `versionMatchStrategy` CurrentOrOlder
   * (it runs instances of its version and older ones) and `versionFailureStrategy` Reject (an
   * instance of a newer version waits in its queue rather than failing).
   */
  readonly orchestrationVersioning?: boolean;
}

const durableTask = 'AzureFunctionsJobHost__extensions__durableTask';

/** Names the router sets itself; a release's own settings may not use them. */
const routerOwnedSettingNames: readonly string[] = Object.freeze([
  'AzureWebJobsStorage',
  'TASKHUB_NAME',
  `${durableTask}__hubName`,
  `${durableTask}__storageProvider__trackingStoreConnectionName`,
  `${durableTask}__storageProvider__trackingStoreNamePrefix`,
  `${durableTask}__defaultVersion`,
]);

/** Set by the router on apps released with orchestration versioning only. */
const versioningSettingNames: readonly string[] = Object.freeze([`${durableTask}__versionMatchStrategy`, `${durableTask}__versionFailureStrategy`]);

export function routerAppSettings(input: RouterAppSettingsInput): Record<string, string> {
  const own = input.appSettings ?? {};
  const clashes = routerOwnedSettingClashes(own, input.orchestrationVersioning === true);
  if (clashes.length > 0) {
    throw new RouterError('INVALID_REQUEST', `The app settings ${clashes.join(', ')} are set by the router itself (task hub and shared tracking store); leave them out.`, {
      details: { settings: clashes },
    });
  }
  const hub = input.taskHub ?? taskHubNameFor(input.routeKey, input.routerId);
  return {
    ...own,
    AzureWebJobsStorage: input.storageConnectionString,
    TASKHUB_NAME: hub,
    [`${durableTask}__hubName`]: hub,
    [`${durableTask}__storageProvider__trackingStoreConnectionName`]: 'AzureWebJobsStorage',
    [`${durableTask}__storageProvider__trackingStoreNamePrefix`]: input.trackingStoreNamePrefix ?? defaultTrackingStoreNamePrefix,
    [`${durableTask}__defaultVersion`]: input.version,
    ...(input.orchestrationVersioning === true ? {
      [`${durableTask}__versionMatchStrategy`]: 'CurrentOrOlder',
      [`${durableTask}__versionFailureStrategy`]: 'Reject',
    } : {}),
  };
}

/**
 * Own settings that would override a router-owned one (names compare case-insensitively, as on
 * Azure); with orchestration versioning the version match and failure strategies are the router's too.
 */
export function routerOwnedSettingClashes(settings: Readonly<Record<string, string>>, orchestrationVersioning = false): string[] {
  const owned = new Set([...routerOwnedSettingNames, ...(orchestrationVersioning ? versioningSettingNames : [])].map((name) => name.toLowerCase()));
  return Object.keys(settings).filter((name) => owned.has(name.toLowerCase()));
}

/**
 * An app's settings with the router's storage, when its `AzureWebJobsStorage` is the router's
 * storage connection string without the `BlobEndpoint` it names now: apps released on the
 * embedded Azurite before its Blob service ran, whose large durable values need one. Undefined
 * when there is nothing to bring up to date (any other storage is the app's own business).
 */
export function withRouterBlobEndpoint(settings: Readonly<Record<string, string>>, routerStorage: string): Record<string, string> | undefined {
  const current = settings['AzureWebJobsStorage'];
  if (current === undefined) return undefined;
  const isBlobEndpoint = (segment: string): boolean => /^blobendpoint\s*=/i.test(segment);
  const router = segmentsOf(routerStorage);
  if (!router.some(isBlobEndpoint)) return undefined;
  const withoutBlob = router.filter((segment) => !isBlobEndpoint(segment));
  const app = segmentsOf(current);
  if (app.length !== withoutBlob.length || app.some((segment, index) => segment !== withoutBlob[index])) return undefined;
  return { ...settings, AzureWebJobsStorage: routerStorage };
}

function segmentsOf(connectionString: string): string[] {
  return connectionString.split(';').map((segment) => segment.trim()).filter((segment) => segment !== '');
}
