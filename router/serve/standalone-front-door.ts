/**
 * The front door alone, as `durable-router serve` runs it in production: the version map, the
 * shared tracking store and the apps' keys read from the router's storage (with a connection
 * string, or with the process's Azure identity), releases forwarded to the control plane's URL.
 */
import { DefaultAzureCredential } from '@azure/identity';
import type { Logger } from 'pino';
import type { TableStorage } from '../../shared/storage/table-client-factory.js';
import { TableAppKeyStore } from '../../shared/stores/table-app-key-store.js';
import { TableVersionMapStore } from '../../shared/stores/table-version-map-store.js';
import { TrackingStores } from '../../shared/tracking-store/tracking-stores.js';
import { serveFrontDoor, type RunningFrontDoor } from '../front-door/serve-front-door.js';
import type { ServeSettings } from './serve-settings.js';

export async function serveStandaloneFrontDoor(settings: ServeSettings, logger: Logger, options: { readonly handleSignals?: boolean } = {}): Promise<RunningFrontDoor> {
  const storage: TableStorage = settings.storage.kind === 'connection-string'
    ? settings.storage.connectionString
    : { tableUrl: settings.storage.tableUrl, credential: new DefaultAzureCredential() };
  // The front door re-reads the map every 500 ms: the SDK's own retry backoff would only hide an outage.
  const noRetries = { retryOptions: { maxRetries: 0 } };
  const store = new TableVersionMapStore(storage, { clientOptions: noRetries });
  return serveFrontDoor({
    port: settings.port,
    host: settings.host,
    store,
    trackingStore: new TrackingStores(storage, { prefix: settings.trackingStorePrefix, clientOptions: noRetries, versionMaps: store }),
    adminKey: settings.adminKey,
    routerKeys: settings.routerKeys,
    appKeys: new TableAppKeyStore(storage, { secretsKey: settings.secretsKey, clientOptions: noRetries }),
    controlPlane: settings.controlPlane,
    ...(settings.publicUrl === undefined ? {} : { publicUrl: settings.publicUrl }),
    trustedProxies: settings.trustedProxies,
    upstreamTimeoutMs: settings.upstreamTimeoutMs,
    connectionsPerApp: settings.connectionsPerApp,
    maxQueuedPerApp: settings.maxQueuedPerApp,
    logger,
    handleSignals: options.handleSignals ?? true,
  });
}
