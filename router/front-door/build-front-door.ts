import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import { errorShapeServerOptions } from '../../shared/http/parser-rejections.js';
import { registerControlPlaneForwarding } from '../admin/control-plane-forwarding.js';
import { registerInstancesRoute } from '../admin/instances-route.js';
import { AdminKey } from './admin-key.js';
import { AppKeyCache } from './app-key-cache.js';
import { isProxiedPath } from './durable-route.js';
import { FrontDoorProxy } from './front-door-proxy.js';
import { registerFrontDoorRoutes } from './front-door-routes.js';
import { AdminGate } from './admin-gate.js';
import { FailedAuthLimiter } from './failed-auth-limiter.js';
import { resolveFrontDoorOptions, type FrontDoorConfig, type FrontDoorOptions } from './front-door-options.js';
import { VersionMapCache } from './version-map-cache.js';

/** Behind a load balancer, idle connections must outlive the balancer's own idle timeout. */
const keepAliveTimeoutMs = 72_000;
/** Startup waits this long for the first map, so a fresh router is ready when `listen` resolves. */
const firstLoadWaitMs = 5_000;
/** How long a map change waits for the keys of the apps it names. */
const keyWaitOnMapChangeMs = 2_000;

/**
 * Builds the front door: a Fastify app whose node server sends the proxied prefixes (`/api/*`,
 * `/runtime/webhooks/durabletask/*`) straight to the proxy, bypassing Fastify's request
 * machinery on the hot path, and everything else (health, readiness, /admin) to Fastify.
 * Call `listen` on the result; `close` stops polling and closes the app connection pools.
 */
export function buildFrontDoor(options: FrontDoorOptions): FastifyInstance {
  const config = resolveFrontDoorOptions(options);
  const app = createFastify(config, (fastifyHandler) => {
    const server = createServer((req, res) => {
      // Requests arrive only after listen, when frontDoor (below) is initialized.
      if (isProxiedPath(req.url as string)) frontDoor.handle(req, res);
      else fastifyHandler(req, res);
    });
    server.keepAliveTimeout = keepAliveTimeoutMs;
    return server;
  });
  const adminKey = new AdminKey(config.adminKey);
  const appKeys = config.appKeys === undefined ? undefined : new AppKeyCache(config.appKeys, app.log, config.appKeyMaxAgeMs, () => frontDoor.reapply());
  const frontDoor = new FrontDoorProxy(config, adminKey, app.log, appKeys);
  const cache = new VersionMapCache(config.store, config.refreshIntervalMs, app.log, async (map) => {
    // A new app's keys first (the control plane stored them before it recorded the app), but a slow
    // key store does not hold up the map: the app is refused until its keys arrive.
    if (appKeys?.isStaleFor(map) === true) await waitAtMost(appKeys.reload(), keyWaitOnMapChangeMs);
    frontDoor.applyMap(map);
  });
  appKeys?.start();

  const adminGate = new AdminGate(adminKey, new FailedAuthLimiter(), config.trustedProxies);
  registerFrontDoorRoutes(app, {
    adminGate,
    versionMap: () => frontDoor.versionMap,
    ready: () => cache.loaded && !frontDoor.closing,
  });
  registerControlPlaneForwarding(app, {
    controlPlane: config.controlPlane, adminGate, publicUrl: config.publicUrl, trustedProxies: config.trustedProxies, maxUploadBytes: config.maxReleaseUploadBytes,
  });
  registerInstancesRoute(app, { adminGate, versionMap: () => frontDoor.versionMap, trackingStore: config.trackingStore });
  app.addHook('onReady', () => waitAtMost(cache.start(), firstLoadWaitMs));
  app.addHook('preClose', (done) => {
    frontDoor.startClosing();
    done();
  });
  app.addHook('onClose', async () => {
    appKeys?.stop();
    cache.stop();
    await frontDoor.close();
  });
  return app;
}

function createFastify(config: FrontDoorConfig, serverFactory: FastifyServerFactory): FastifyInstance {
  const common = { logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true, serverFactory, ...errorShapeServerOptions() };
  const logger = config.logger;
  return isLogger(logger) ? Fastify({ ...common, loggerInstance: logger as FastifyBaseLogger }) : Fastify({ ...common, logger });
}

function isLogger(logger: FrontDoorConfig['logger']): logger is Logger {
  return typeof logger === 'object' && typeof (logger as Partial<Logger>).child === 'function';
}

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
