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
import { AppHealthMonitor } from './app-health.js';
import type { Readiness } from './front-door-routes.js';
import type { VersionMap } from '../../shared/versions/version-map.js';

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
  const health = new AppHealthMonitor({ intervalMs: config.appProbeIntervalMs, timeoutMs: config.appProbeTimeoutMs }, app.log);
  const cache = new VersionMapCache(config.store, config.refreshIntervalMs, app.log, async (map) => {
    // A new app's keys first (the control plane stored them before it recorded the app), but a slow
    // key store does not hold up the map: the app is refused until its keys arrive.
    if (appKeys?.isStaleFor(map) === true) await waitAtMost(appKeys.reload(), keyWaitOnMapChangeMs);
    frontDoor.applyMap(map);
    health.watch(routedAppUrls(map));
  });
  appKeys?.start();

  const adminGate = new AdminGate(adminKey, new FailedAuthLimiter(), config.trustedProxies);
  registerFrontDoorRoutes(app, {
    adminGate,
    versionMap: () => frontDoor.versionMap,
    readiness: () => readiness(cache.loaded, frontDoor.closing, frontDoor.versionMap, health),
    appHealth: (entry) => health.healthOf(entry.app.url),
  });
  registerControlPlaneForwarding(app, {
    controlPlane: config.controlPlane, adminGate, publicUrl: config.publicUrl, trustedProxies: config.trustedProxies, maxUploadBytes: config.maxReleaseUploadBytes,
  });
  registerInstancesRoute(app, { adminGate, versionMap: () => frontDoor.versionMap, trackingStore: config.trackingStore });
  app.addHook('onReady', () => {
    health.start();
    return waitAtMost(cache.start(), firstLoadWaitMs);
  });
  app.addHook('preClose', (done) => {
    frontDoor.startClosing();
    done();
  });
  app.addHook('onClose', async () => {
    appKeys?.stop();
    cache.stop();
    await Promise.all([frontDoor.close(), health.stop()]);
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

/** The apps the front door may send requests to: every version's but a decommissioned one's. */
function routedAppUrls(map: VersionMap): Set<string> {
  return new Set(map.versions.filter((entry) => entry.state !== 'decommissioned').map((entry) => entry.app.url));
}

/**
 * Ready: the version map is loaded, the front door is not closing, and the current version's app
 * was not found down (other versions' apps being down shows in GET /admin/versions, not here).
 */
function readiness(loaded: boolean, closing: boolean, map: VersionMap | undefined, health: AppHealthMonitor): Readiness {
  if (closing) return { ready: false, reason: 'the front door is shutting down' };
  if (!loaded || map === undefined) return { ready: false, reason: 'the version map has not been loaded from the store yet' };
  const current = map.versions.find((entry) => entry.routeKey === map.current);
  if (current === undefined) return { ready: true };
  const app = health.healthOf(current.app.url);
  if (app.status !== 'down') return { ready: true };
  return { ready: false, reason: `the app of the current version ${current.routeKey} (${current.app.name}) has not answered since ${app.downSince ?? '?'} (${app.reason ?? 'no answer'})` };
}

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
