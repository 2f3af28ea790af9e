import cluster from 'node:cluster';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
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

async function serveFrontDoor(): Promise<number> {
  const store = new MemoryVersionMapStore(versionMap(config));
  const app = buildFrontDoor({
    store,
    trackingStore: config.instanceId === undefined ? undefined : new BenchTrackingStore(config.instanceId),
    adminKey: 'bench-admin-key-0123456789',
    routerKeys: testRouterKeys,
    connectionsPerApp: config.upstreamConnections,
    logger: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // Measure routing, not start-up: wait until the first version map has been loaded.
  for (;;) {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    if (ready.statusCode === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the front door is not listening on a TCP port');
  return address.port;
}

if (config.workers > 0 && cluster.isPrimary) {
  let listening = 0;
  let stopping = false;
  cluster.on('message', (_worker, message: { port: number }) => {
    listening += 1;
    if (listening === config.workers) announceListening(message.port);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`front door worker ${worker.process.pid} exited (code ${code}, signal ${signal})`);
    process.exit(1);
  });
  process.once('SIGTERM', () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
  for (let i = 0; i < config.workers; i++) cluster.fork();
} else if (cluster.isWorker) {
  exitNormallyOnSigterm();
  const port = await serveFrontDoor();
  process.send?.({ port });
} else {
  exitNormallyOnSigterm();
  announceListening(await serveFrontDoor());
}
