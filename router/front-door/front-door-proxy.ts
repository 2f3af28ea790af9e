import type { TrustedProxies } from './trusted-proxies.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { RouterError } from '../../shared/errors/router-error.js';
import type { VersionEntry, VersionMap } from '../../shared/versions/version-map.js';
import type { AdminKey } from './admin-key.js';
import type { AppKeyCache } from './app-key-cache.js';
import { compileAppKeyMask } from './app-key-masking.js';
import { bodyTooLarge } from '../../shared/http/body-limit.js';
import { RouterKeyCheck, takeCodeParameters } from './client-keys.js';
import { classifyDurableRequest, isDurableApiPath } from './durable-route.js';
import { writeErrorResponse } from '../../shared/http/error-response.js';
import { lingerThenClose } from '../../shared/http/lingering-close.js';
import type { FrontDoorConfig } from './front-door-options.js';
import { InstanceOwnerCache } from './instance-owner-cache.js';
import { ProxyExchange, type ExchangeContext, type UpstreamTarget } from './proxy-exchange.js';
import { compileRoutingTable, type RoutingTable } from './routing-table.js';
import { UpstreamPools } from './upstream-pools.js';
import { compileAppUrlPattern } from './url-rewriting.js';
import {
  checkStartOwnership, resolveInstanceRoute, resolveVersion,
} from './version-resolution.js';

const missingInstanceTtlMs = 1_000;
const instanceOwnerTtlMs = 10 * 60_000;

/**
 * The data plane: takes raw node requests on the proxied prefixes, picks the app from the
 * in-memory routing table (and, for calls about one instance, from its owner in the tracking
 * store) and hands the request to a ProxyExchange. Nothing here waits on the version map store.
 */
export class FrontDoorProxy implements ExchangeContext {
  readonly publicUrl: string | undefined;
  readonly trustedProxies: TrustedProxies;
  readonly log: FastifyBaseLogger;
  readonly owners: InstanceOwnerCache | undefined;
  readonly isAdminCredential: (authorization: string) => boolean;
  readonly upstreamTimeoutMs: number;
  readonly #pools: UpstreamPools;
  readonly #routerKeys: FrontDoorConfig['routerKeys'];
  readonly #keyCheck: RouterKeyCheck;
  readonly #appKeys: AppKeyCache | undefined;
  readonly #maxBodyBytes: number;
  #table: RoutingTable<UpstreamTarget> | undefined;
  #closing = false;

  constructor(config: FrontDoorConfig, adminKey: AdminKey, log: FastifyBaseLogger, appKeys: AppKeyCache | undefined) {
    this.publicUrl = config.publicUrl;
    this.trustedProxies = config.trustedProxies;
    this.#routerKeys = config.routerKeys;
    this.#keyCheck = new RouterKeyCheck(config.routerKeys);
    this.#appKeys = appKeys;
    this.#maxBodyBytes = config.maxRequestBodyBytes;
    this.log = log;
    this.owners = config.trackingStore === undefined ? undefined : new InstanceOwnerCache(config.trackingStore, {
      maxEntries: config.instanceCacheSize, missingTtlMs: missingInstanceTtlMs, ownerTtlMs: instanceOwnerTtlMs,
    });
    this.isAdminCredential = (authorization) => adminKey.matchesAuthorization(authorization);
    this.upstreamTimeoutMs = config.upstreamTimeoutMs;
    this.#pools = new UpstreamPools({
      connectionsPerApp: config.connectionsPerApp,
      maxQueuedPerApp: config.maxQueuedPerApp,
      headersTimeoutMs: config.upstreamTimeoutMs,
      bodyTimeoutMs: config.upstreamBodyTimeoutMs,
    }, log);
  }

  /** The map the proxy routes by, as last applied. */
  get versionMap(): VersionMap | undefined {
    return this.#table?.map;
  }

  onKeysMissing(): void {
    this.#appKeys?.reloadSoon();
  }

  /** Compiles the routing table of the current map again, e.g. once apps' keys have changed. */
  reapply(): void {
    const map = this.#table?.map;
    if (map !== undefined) this.applyMap(map);
  }

  applyMap(map: VersionMap): void {
    const origins = new Set<string>();
    this.#table = compileRoutingTable(map, (entry) => this.#targetFor(entry, origins));
    this.#pools.retainOnly(origins);
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** From now on proxied requests are refused with 503 and their connections closed. */
  startClosing(): void {
    this.#closing = true;
  }

  close(): Promise<void> {
    this.#closing = true;
    return this.#pools.close();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closing) {
      writeErrorResponse(res, new RouterError('SHUTTING_DOWN'), undefined, true);
      return;
    }
    const table = this.#table;
    if (table === undefined) {
      writeErrorResponse(res, new RouterError('STORE_UNAVAILABLE', 'The version map has not been loaded from the store yet; retry shortly.'));
      return;
    }
    if (hasDotSegment(req.url as string)) {
      // A platform may resolve them (`/api/../runtime/...`): a path must mean what the router reads it as.
      writeErrorResponse(res, new RouterError('INVALID_REQUEST', 'The path has "." or ".." segments; send it resolved.'));
      return;
    }
    const exchange = new ProxyExchange(this, req, res);
    if (exchange.requestLength > this.#maxBodyBytes) {
      writeErrorResponse(res, bodyTooLarge(this.#maxBodyBytes, 'a request to an app'));
      lingerThenClose(req);
      return;
    }
    if (exchange.hasBody) {
      if (exchange.requestLength === -1) exchange.bodyLimit = this.#maxBodyBytes;
      // Answered before the body was read whole (an app's early 413, a refusal): the rest is for no one.
      res.once('finish', () => lingerThenClose(req));
    }
    const { url: upstreamUrl, codes } = takeCodeParameters(req.url as string);
    exchange.upstreamUrl = upstreamUrl;
    const presented = this.#keyCheck.presented(exchange.functionsKey, codes);
    if (isDurableApiPath(req.url as string)) {
      if (presented !== 'durable-api') {
        writeErrorResponse(res, new RouterError('UNAUTHORIZED', exchange.functionsKey === undefined && codes.length === 0
          ? 'The durable HTTP API needs the router\'s durable API key: send it as the "code" query parameter or the "x-functions-key" header (the URLs the router returns carry it).'
          : 'That key does not open the durable HTTP API: send the router\'s durable API key as "code" or "x-functions-key".'));
        return;
      }
      exchange.appKey = 'durableTask';
    } else if (presented === 'function') {
      exchange.appKey = 'function';
    }
    const request = classifyDurableRequest(req.method as string, req.url as string);
    if (request instanceof RouterError) {
      writeErrorResponse(res, request);
      return;
    }
    exchange.request = request;
    const requested = exchange.appVersion;
    if (request.kind === 'other') {
      exchange.forward(targetOf(resolveVersion(table, requested, false)));
      return;
    }
    const owners = this.owners;
    if (request.kind === 'start') {
      const instanceId = request.instanceId;
      const route = resolveVersion(table, requested, false);
      if (route instanceof RouterError || instanceId === undefined || owners === undefined) {
        exchange.forward(targetOf(route));
        return;
      }
      // A start must see an owner written a moment ago, so a remembered "missing" is not trusted here.
      const owner = owners.peek(instanceId);
      if (owner) {
        exchange.forward(checkStartOwnership(table, route, instanceId, owner) ?? route.target);
        return;
      }
      owners.load(instanceId).then(
        (loaded) => exchange.forward(checkStartOwnership(table, route, instanceId, loaded) ?? route.target),
        (error: unknown) => this.#ownerUnknown(exchange, instanceId, error),
      );
      return;
    }
    const instanceId = request.instanceId;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (owners === undefined) {
      exchange.forward(targetOf(resolveInstanceRoute(table, instanceId, undefined, requested, readOnly)));
      return;
    }
    const owner = owners.peek(instanceId);
    if (owner !== undefined) {
      exchange.forward(targetOf(resolveInstanceRoute(table, instanceId, owner ?? undefined, requested, readOnly)));
      return;
    }
    owners.load(instanceId).then(
      (loaded) => exchange.forward(targetOf(resolveInstanceRoute(this.#table ?? table, instanceId, loaded, requested, readOnly))),
      (error: unknown) => this.#ownerUnknown(exchange, instanceId, error),
    );
  }

  #ownerUnknown(exchange: ProxyExchange, instanceId: string, error: unknown): void {
    this.log.warn({ err: error }, 'the tracking store could not be read to find an instance\'s app');
    exchange.forward(new RouterError('STORE_UNAVAILABLE',
      `The tracking store could not be read to find which version owns instance "${instanceId}"; retry shortly.`, { cause: error }));
  }

  #targetFor(entry: VersionEntry, origins: Set<string>): UpstreamTarget {
    const unusable: UpstreamTarget = {
      routeKey: entry.routeKey, routedVersion: entry.latest, owner: { taskHub: entry.app.taskHub },
      pool: undefined, basePath: '', appUrl: undefined, keys: undefined, keyMask: undefined, keysMissing: false,
    };
    if (entry.state === 'decommissioned') return unusable;
    let url: URL;
    try {
      url = new URL(entry.app.url);
    } catch (error) {
      this.log.error({ err: error, routeKey: entry.routeKey }, 'the version map names an app URL that is not a URL; that version cannot be served');
      return unusable;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.log.error({ routeKey: entry.routeKey, protocol: url.protocol }, 'the version map names an app URL that is not http(s); that version cannot be served');
      return unusable;
    }
    origins.add(url.origin);
    const keys = this.#appKeys?.keysOf(entry.app.name);
    return {
      ...unusable,
      keys,
      keyMask: keys === undefined ? undefined : compileAppKeyMask(keys, this.#routerKeys),
      keysMissing: this.#appKeys !== undefined && keys === undefined,
      pool: this.#pools.poolFor(url.origin),
      basePath: url.pathname.replace(/\/+$/, ''),
      appUrl: compileAppUrlPattern(entry.app.url),
    };
  }
}

function hasDotSegment(url: string): boolean {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  return path.includes('.') || path.includes('%2') ? /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i.test(path) : false;
}

function targetOf(route: { readonly target: UpstreamTarget } | RouterError): UpstreamTarget | RouterError {
  return route instanceof RouterError ? route : route.target;
}
