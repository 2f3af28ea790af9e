import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { TableVersionMapStore } from '../../shared/stores/table-version-map-store.js';
import { TrackingStoreReader } from '../../shared/tracking-store/tracking-store-reader.js';
import { activate, makeCurrent, registerProvisioning } from '../../shared/versions/version-map-operations.js';
import { routeKeyOf } from '../../shared/versions/semantic-version.js';
import type { AppRef, VersionMap } from '../../shared/versions/version-map.js';
import { startLocalAppProcess, type LocalAppProcess } from '../../deployer/platforms/local/local-app-process.js';
import { routerAppSettings, taskHubNameFor } from '../app-configuration/app-settings.js';
import { serveFrontDoor, type RunningFrontDoor } from '../front-door/serve-front-door.js';
import { readOrCreateAdminKey } from './admin-key-file.js';
import type { BackendsFile } from './backends-file.js';
import { stageAppAsVersion } from './staged-app.js';

export interface EmbeddedStackOptions {
  /** Where Azurite's data, staged apps and the generated admin key live (default `.data`). */
  readonly dataDir: string;
  readonly port: number;
  readonly adminKey: string | undefined;
  /** A Table storage connection string; default: the embedded Azurite. */
  readonly storage: string | undefined;
  readonly backends: BackendsFile | undefined;
  readonly logger: Logger;
}

export interface EmbeddedStack {
  readonly url: string;
  readonly adminKey: string;
  /** True when the admin key was generated (and stored under the data directory). */
  readonly adminKeyGenerated: boolean;
  readonly apps: readonly { readonly version: string; readonly url: string }[];
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

/** The embedded default: storage, the apps of the backends file, and the front door. */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const { logger } = options;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    await mkdir(options.dataDir, { recursive: true });
    const { adminKey, generated } =
      options.adminKey === undefined ? await readOrCreateAdminKey(options.dataDir) : { adminKey: options.adminKey, generated: false };

    let storage = options.storage;
    if (storage === undefined) {
      const azurite: RunningAzurite = await startAzurite({ location: path.join(options.dataDir, 'azurite') });
      cleanups.push(() => azurite.stop());
      storage = azurite.connectionString;
      logger.info({ port: azurite.port }, 'embedded Azurite started');
    }
    const store = new TableVersionMapStore(storage);

    const apps: { version: string; url: string }[] = [];
    if (options.backends !== undefined) {
      const refs: { version: string; app: AppRef }[] = [];
      for (const backend of options.backends.backends) {
        const routeKey = routeKeyOf(backend.version);
        if ('url' in backend) {
          refs.push({ version: backend.version, app: { name: `external-${routeKey}`, url: backend.url, taskHub: backend.taskHub } });
          continue;
        }
        const staged = path.join(options.dataDir, 'apps', routeKey);
        await stageAppAsVersion(backend.appDir, staged, backend.version);
        logger.info({ version: backend.version, appDir: backend.appDir }, 'starting app in the local host');
        const running: LocalAppProcess = await startLocalAppProcess({
          appDir: staged,
          settings: routerAppSettings({ routeKey, storageConnectionString: storage }),
          onLog: (line) => logger.debug({ app: routeKey }, line),
        });
        cleanups.push(() => running.stop());
        refs.push({ version: backend.version, app: { name: `local-${routeKey}`, url: running.url, taskHub: taskHubNameFor(routeKey) } });
        apps.push({ version: backend.version, url: running.url });
      }
      const at = new Date().toISOString();
      await store.update(() => seedMap(refs, options.backends?.current, at));
    }

    // The front door polls every 500 ms: the SDK's own retry backoff would only hide an outage.
    const noRetries = { retryOptions: { maxRetries: 0 } };
    const frontDoor: RunningFrontDoor = await serveFrontDoor({
      port: options.port,
      store: new TableVersionMapStore(storage, { clientOptions: noRetries }),
      trackingStore: new TrackingStoreReader(storage, { clientOptions: noRetries }),
      adminKey,
      logger,
      handleSignals: false,
    });
    cleanups.push(() => frontDoor.close());
    return { url: frontDoor.url, adminKey, adminKeyGenerated: generated, apps, closed: frontDoor.closed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Backends replace whatever map was stored: the file is the whole truth until releases arrive. */
function seedMap(refs: readonly { version: string; app: AppRef }[], current: string | undefined, at: string): VersionMap {
  let map: VersionMap = { current: null, versions: [] };
  for (const ref of refs) {
    map = registerProvisioning(map, { version: ref.version, app: ref.app, at });
    map = activate(map, routeKeyOf(ref.version));
  }
  return makeCurrent(map, current);
}
