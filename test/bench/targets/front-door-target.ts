import cluster from 'node:cluster';
import { pino } from 'pino';
import { serveAsWorker, serveWithWorkers } from '../../../router/serve/front-door-cluster.js';
import { serveFrontDoor, type RunningFrontDoor } from '../../../router/front-door/serve-front-door.js';
import type { InstanceOwnerSource } from '../../../router/front-door/instance-owner-cache.js';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import type { VersionMap } from '../../../shared/versions/version-map.js';
import { announceListening, exitNormallyOnSigterm, readTargetConfig, type TargetConfig } from './target-protocol.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';


/*
 * The front door with the stores' I/O taken out: one current version 1.0.0 whose app is the bench
 * backend, in an in-memory version map store, and for affinity runs a tracking store that knows one
 * instance, owned by that app's task hub. With `workers` > 0 it runs as a node:cluster primary
 * whose workers each serve the front door on one shared port.
 */

const taskHub = 'BenchHub';
const config = readTargetConfig();

class BenchTrackingStore implements InstanceOwnerSource {
  readonly #instances: ReadonlyMap<string, { instanceId: string; name: string; taskHub: string; runtimeStatus: string; createdTime: string }>;

  constructor(instanceId: string) {
    const record = { instanceId, name: 'BenchOrchestrator', taskHub, runtimeStatus: 'Running', createdTime: new Date().toISOString() };
    this.#instances = new Map([[instanceId, record]]);
  }

  getInstance(instanceId: string): Promise<{ taskHub: string } | undefined> {
    return Promise.resolve(this.#instances.get(instanceId));
  }
}

function versionMap(target: TargetConfig): VersionMap {
  return {
    current: '1.0',
    versions: [
      {
        routeKey: '1.0',
        state: 'active',
        versions: ['1.0.0'],
        latest: '1.0.0',
        app: { name: 'bench-app-1-0', url: target.backendUrl, taskHub },
        createdAt: new Date().toISOString(),
      },
    ],
  };
}

async function startFrontDoor(): Promise<RunningFrontDoor> {
  const frontDoor = await serveFrontDoor({
    port: 0,
    host: '127.0.0.1',
    handleSignals: false,
    store: new MemoryVersionMapStore(versionMap(config)),
    trackingStore: config.instanceId === undefined ? undefined : new BenchTrackingStore(config.instanceId),
    adminKey: 'bench-admin-key-0123456789',
    routerKeys: testRouterKeys,
    connectionsPerApp: config.upstreamConnections,
    logger: false,
  });
  // Measure routing, not start-up: wait until the first version map has been loaded.
  for (;;) {
    const ready = await frontDoor.app.inject({ method: 'GET', url: '/readyz' });
    if (ready.statusCode === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return frontDoor;
}

// The cluster is `durable-router serve --workers`'s own (router/serve/front-door-cluster.ts).
const quiet = pino({ enabled: false });
if (config.workers > 0 && cluster.isPrimary) {
  const serving = await serveWithWorkers({ workers: config.workers, host: '127.0.0.1', logger: quiet });
  announceListening(Number(new URL(serving.url).port));
  process.exitCode = await serving.stopped;
} else if (cluster.isWorker) {
  await serveAsWorker(startFrontDoor, quiet);
} else {
  exitNormallyOnSigterm();
  const frontDoor = await startFrontDoor();
  announceListening(Number(new URL(frontDoor.url).port));
}
