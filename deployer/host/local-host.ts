/**
 * The local Functions host: runs one unmodified Azure Functions Node.js v4 app (with
 * durable-functions 3.x) in this process. It applies the app's settings, loads the app through the
 * `@azure/functions-core` module, serves its HTTP triggers, the admin endpoints and the durable
 * engine's `/runtime/webhooks/durabletask` API on one Fastify server, and runs the durable engine
 * against the app's storage (Azure Table storage, or an embedded Azurite). Given a secrets folder,
 * it enforces the host's keys as the Azure Functions host does (keys/key-gate.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino, type Logger } from 'pino';
import { RouterError } from '../../shared/errors/router-error.js';
import { errorShapeServerOptions, routerErrorOf } from '../../shared/http/parser-rejections.js';
import { lingerThenClose } from '../../shared/http/lingering-close.js';
import { startAzurite, type AzuriteOptions, type RunningAzurite } from '../../shared/storage/azurite.js';
import { loadApp } from './app-loading/app-loader.js';
import { applyAppSettings, readLocalSettings } from './app-loading/app-settings.js';
import type { UnsupportedBinding } from './app-loading/binding-support.js';
import type { CoreLogEntry } from './app-loading/functions-core-module.js';
import { readHostConfig } from './app-loading/host-config.js';
import {
  appStorageSetting,
  chooseAppStorage,
  createConnectionResolver,
  durableConnectionNames,
  needsEmbeddedStorage,
} from './app-loading/storage-connection.js';
import { createDurableEngine } from './durable/durable-engine.js';
import type { LeaseTimings } from './durable/ownership/task-hub-lease.js';
import type { DurableApiKeys, DurableEngine, DurableOwnership } from './host-contracts.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { defaultRequestBodyLimit, registerHttpTriggers } from './http/http-trigger-plugin.js';
import { compileHttpTriggerRoutes } from './http/http-trigger-routes.js';
import { ServedConnections } from './http/served-connections.js';
import { durableClientPath, durableClientRoutePrefix } from './keys/durable-client-path.js';
import { HostKeyring } from './keys/host-keyring.js';
import { durableTaskSystemKeyName } from './keys/host-secrets.js';
import { registerKeyGate } from './keys/key-gate.js';
import { requestLogView } from './keys/request-log-view.js';

export interface LocalHostOptions {
  readonly appDir: string;
  /** Default 7071 like `func start`; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The app's storage; wins over `AzureWebJobsStorage` and `ROUTER_STORAGE`. */
  readonly storageConnectionString?: string;
  /** App settings for this host; they win over the environment and local.settings.json. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the embedded Azurite keeps its data when it is needed; default in memory. */
  readonly azurite?: AzuriteOptions;
  readonly logger?: Logger;
  /**
   * The parent process holds the port and hands this host its connections (`accept`), so that a
   * newer process of the app can take over the port while this one finishes: the host does not
   * listen (`port` is only the one its URLs name), and its durable engine waits for `startEngine()`,
   * which the parent sends once this process serves: the engine then asks the older process for the
   * task hub's lease (only the lease holder works the hub).
   */
  readonly handedConnections?: boolean;
  /**
   * The host's secrets folder (keys/host-secrets.ts): given one, the host enforces its keys, made
   * there on first start and read again when they change. Without one nothing asks for a key, as
   * with `func start`.
   */
  readonly secretsDir?: string;
  /** Tests shorten the durable engine's task hub lease (see durable/ownership/task-hub-lease.ts). */
  readonly durableLease?: Partial<LeaseTimings>;
}

export interface LocalHost {
  /** The host's origin, e.g. http://127.0.0.1:7071. */
  readonly url: string;
  readonly port: number;
  readonly taskHubName: string;
  readonly app: { readonly name: string | undefined; readonly version: string | undefined };
  readonly functions: readonly { readonly name: string; readonly trigger: string }[];
  readonly unsupported: readonly UnsupportedBinding[];
  /** Serves a connection that the parent accepted on the host's port (handedConnections). */
  accept(socket: Socket): void;
  /**
   * Starts the durable engine, which handedConnections left waiting; idempotent. It takes the task
   * hub's lease if free, else asks its owner to hand it over and waits (see `ownership`).
   */
  startEngine(): Promise<void>;
  /** Whether this process works the task hub now (holds its lease) or only serves the durable HTTP API. */
  ownership(): DurableOwnership;
  onOwnershipChange(listener: (owns: boolean) => void): void;
  /**
   * Ends a host whose port another process has taken over: every response now says
   * `Connection: close` and clients get up to `timeoutMs` to close their connections themselves
   * (the durable engine works meanwhile); then `stop()`.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Stops the durable engine, stops serving HTTP, runs the appTerminate hooks, then stops the embedded Azurite. */
  stop(): Promise<void>;
}

const defaultPort = 7071;
const defaultHost = '127.0.0.1';
const httpCloseGraceMs = 5_000;
/** The app setting naming the app's public host (Azure sets it on every app); URLs handed to clients use it. */
const publicHostSetting = 'WEBSITE_HOSTNAME';
/** The Functions host's request body limit in bytes (Kestrel's MaxRequestBodySize), as on Azure. */
const requestBodySizeLimitSetting = 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT';

function hostVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'durable-router' && pkg.version) return pkg.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

/** The address clients should use: a wildcard bind is reached through loopback. */
function reachableHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '') return '127.0.0.1';
  if (bindHost === '::') return '[::1]';
  return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

async function closeServer(server: Server, connections: ServedConnections): Promise<void> {
  const closed = server.listening ? new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))) : undefined;
  await connections.close(httpCloseGraceMs);
  await closed;
}

const pinoLevels = {
  trace: 'trace',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
} as const;

function logSink(logger: Logger): (entry: CoreLogEntry) => void {
  return (entry) => {
    if (entry.level === 'none') return;
    const fields = {
      category: entry.category,
      ...(entry.functionName ? { function: entry.functionName } : {}),
      ...(entry.invocationId ? { invocationId: entry.invocationId } : {}),
    };
    // The library's own chatter is system logging: keep it out of the default (info) output.
    const level = entry.category === 'system' && entry.level === 'information' ? 'debug' : pinoLevels[entry.level];
    logger[level](fields, entry.message);
  };
}

/** A line per request is debugging detail: at the default level Fastify only reports problems. */
function httpLogLevel(logger: Logger): string {
  return logger.levelVal < 30 || logger.levelVal > 40 ? logger.level : 'warn';
}

/** `https://${WEBSITE_HOSTNAME}` when the app's settings name its public host, else undefined. */
function publicOriginOf(env: NodeJS.ProcessEnv): string | undefined {
  const hostName = env[publicHostSetting]?.trim();
  if (hostName === undefined || hostName === '') return undefined;
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(hostName)) {
    throw new RouterError('INVALID_CONFIGURATION', `The app setting ${publicHostSetting} must be a host name with an optional port (e.g. myapp.azurewebsites.net or 127.0.0.1:8443), not "${hostName}".`);
  }
  return `https://${hostName.toLowerCase()}`;
}

/** FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, in bytes, as the Functions host reads it; else its default. */
function requestBodyLimitOf(env: NodeJS.ProcessEnv): number {
  const value = env[requestBodySizeLimitSetting]?.trim();
  if (value === undefined || value === '') return defaultRequestBodyLimit;
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new RouterError('INVALID_CONFIGURATION', `The app setting ${requestBodySizeLimitSetting} must be a positive number of bytes, not "${value}".`);
  }
  return limit;
}

function startingHandler(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end(JSON.stringify({ state: 'Starting' }));
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  // Synchronous: an asynchronous destination flushes at exit, and that flush never ends once the
  // parent reading stderr is gone (sonic-boom retries EPIPE forever), leaving the process hanging.
  const logger = options.logger ?? pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination({ dest: 2, sync: true }));
  const appDir = path.resolve(options.appDir);
  const env = process.env;
  const version = hostVersion();
  const startedAt = performance.now();

  for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value;
  const localSettings = await readLocalSettings(appDir);
  if (localSettings) {
    const { skipped } = applyAppSettings(env, localSettings.values);
    if (skipped.length > 0) logger.info({ settings: skipped }, 'local.settings.json values already set in the environment were kept');
  }
  const hostConfig = await readHostConfig(appDir, env);
  if (hostConfig.ignored.length > 0) logger.debug({ settings: hostConfig.ignored }, 'host.json settings with no effect locally');
  const storage = chooseAppStorage(options.storageConnectionString, env);
  const publicOrigin = publicOriginOf(env);

  // Undone last-first, on stop and when start-up fails half way.
  const cleanUps: { name: string; run: () => Promise<void> }[] = [];
  // Every step runs even when an earlier one fails; the failures are logged and reported together.
  const cleanUp = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const step of cleanUps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        logger.error({ err: error }, `Stopping the local host: ${step.name} failed`);
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'The local host did not stop cleanly.');
  };

  try {
    let azurite: RunningAzurite | undefined;
    if (needsEmbeddedStorage(storage, durableConnectionNames(hostConfig.durableTask), env)) {
      // The Blob service holds the large values (over 64 KiB) of the durable engine.
      const embedded = await startAzurite({ ...(options.azurite ?? { inMemory: true }), blob: true });
      azurite = embedded;
      cleanUps.push({ name: 'stopping Azurite', run: () => embedded.stop() });
      logger.info({ tableUrl: embedded.tableUrl }, 'Started the embedded Azurite');
    }
    const keyring = options.secretsDir === undefined ? undefined : await HostKeyring.open({ secretsDir: path.resolve(options.secretsDir), logger: logger.child({ component: 'keys' }) });
    if (keyring !== undefined) {
      cleanUps.push({ name: 'closing the keys file', run: async () => keyring.close() });
      if (keyring.current.systemKeys[durableTaskSystemKeyName] === undefined) {
        throw new RouterError('INVALID_CONFIGURATION', `The keys file ${keyring.file} has no "${durableTaskSystemKeyName}" system key, which the durable HTTP API needs; add one or delete the file to have new keys made.`);
      }
      logger.info({ file: keyring.file }, 'The host enforces its keys');
    }

    const resolveConnection = createConnectionResolver(storage, env, azurite?.connectionString);
    // Code in the app that reads AzureWebJobsStorage sees the storage the host uses.
    env[appStorageSetting] = resolveConnection(appStorageSetting);

    // Listen before loading the app, so that its environment already names the host's own address.
    let handle: (request: IncomingMessage, response: ServerResponse) => void = startingHandler;
    const server = createServer();
    const connections = new ServedConnections(server);
    server.on('request', connections.track(() => handle));
    const handed = options.handedConnections === true;
    if (handed && !(Number.isInteger(options.port) && (options.port as number) > 0)) {
      throw new RouterError('INVALID_CONFIGURATION', 'A host handed its connections needs the port its parent holds for it.');
    }
    const port = handed ? (options.port as number) : await listen(server, options.port ?? defaultPort, options.host ?? defaultHost);
    cleanUps.push({ name: 'closing the HTTP server', run: () => closeServer(server, connections) });
    const hostAndPort = `${reachableHost(options.host ?? defaultHost)}:${port}`;
    const url = `http://${hostAndPort}`;
    // df.getClient rewrites its URLs to localhost:7071 when the variable is unset: name this host.
    if (publicOrigin === undefined) env[publicHostSetting] = hostAndPort;

    // The invoker needs the engine's client binding and the engine needs the invoker.
    const started: { engine?: DurableEngine } = {};
    const app = await loadApp({
      appDir,
      hostVersion: version,
      log: logSink(logger),
      durableClientBinding: () => {
        if (!started.engine) throw new RouterError('INTERNAL', 'The durable engine is not running yet.');
        return started.engine.clientBinding();
      },
    });
    cleanUps.push({ name: 'running appTerminate hooks', run: () => app.terminate() });
    for (const entry of app.unsupported) {
      logger.warn(
        { function: entry.function, bindingType: entry.bindingType },
        `Function "${entry.function}" is not loaded: the local host does not support its "${entry.bindingType}" binding`,
      );
    }
    const routeTable = compileHttpTriggerRoutes(app.functions, hostConfig.routePrefix);

    const durableEngine = await createDurableEngine({
      invoker: app.invoker,
      durableTask: hostConfig.durableTask,
      resolveConnection,
      baseUrl: url,
      ...(publicOrigin === undefined ? {} : { publicOrigin }),
      ...(keyring === undefined ? {} : { keys: durableApiKeys(keyring) }),
      logger: logger.child({ component: 'durable' }),
      ...(options.durableLease === undefined ? {} : { lease: options.durableLease, workPollMs: options.durableLease.checkMs ?? 1_000 }),
    });
    started.engine = durableEngine;

    let fastifyHandler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    const fastify = Fastify({
      serverFactory: (handler) => {
        fastifyHandler = handler;
        return server;
      },
      loggerInstance: logger.child({ component: 'http' }, { level: httpLogLevel(logger), serializers: { req: requestLogView } }) as FastifyBaseLogger,
      return503OnClosing: true,
      routerOptions: { maxParamLength: 2048 },
      ...errorShapeServerOptions(),
    });
    cleanUps.push({ name: 'closing Fastify', run: () => fastify.close() });
    fastify.setErrorHandler((error, request, reply) => {
      const routerError = routerErrorOf(error);
      if (routerError.status >= 500) logger.error({ err: error }, 'A request to the host failed');
      if (routerError.code === 'PAYLOAD_TOO_LARGE') {
        // Fastify closes at once; lingering lets a proxy still sending the body read the 413.
        void reply.removeHeader('connection');
        lingerThenClose(request.raw);
      }
      return reply.code(routerError.status).send(routerError.toJSON());
    });
    if (keyring !== undefined) registerKeyGate(fastify, { keys: () => keyring.current, triggers: routeTable });
    registerAdminRoutes(fastify, {
      hostId: (app.package.name ?? path.basename(appDir)).toLowerCase().replace(/[^a-z0-9-]/g, '-'),
      hostVersion: version,
      app: { name: app.package.name, version: app.package.version },
      functions: app.functions,
      unsupported: app.unsupported,
      routePrefix: hostConfig.routePrefix,
      baseUrl: publicOrigin ?? url,
      startedAt,
      durable: () => durableEngine.ownership(),
    });
    durableEngine.registerRoutes(fastify);
    await registerHttpTriggers(fastify, {
      table: routeTable,
      functions: app.functions,
      invoker: app.invoker,
      logger,
      ...(publicOrigin === undefined ? {} : { publicOrigin }),
      bodyLimit: requestBodyLimitOf(env),
      workerHttpUri: app.workerHttpUri,
    });
    await fastify.ready();
    if (!fastifyHandler) throw new RouterError('INTERNAL', 'Fastify did not hand over its request handler.');
    handle = fastifyHandler;

    // The engine stops first: work still executing may call the host's own HTTP API (durable client).
    cleanUps.push({ name: 'stopping the durable engine', run: () => durableEngine.stop() });
    if (!handed) await durableEngine.start();

    logger.info({
      url,
      ...(publicOrigin === undefined ? {} : { publicOrigin }),
      functions: app.functions.length,
      taskHub: durableEngine.taskHubName,
      handedConnections: handed,
      ...(handed ? {} : { ownsTaskHub: durableEngine.ownership().ownsTaskHub }),
      keys: keyring === undefined ? 'not checked' : 'enforced',
    }, 'Local Functions host is running');
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= cleanUp());
    return {
      url,
      port,
      taskHubName: durableEngine.taskHubName,
      app: { name: app.package.name, version: app.package.version },
      functions: app.functions.map((fn) => ({ name: fn.name, trigger: fn.triggerType })),
      unsupported: app.unsupported,
      accept: (socket) => {
        if (stopping !== undefined) socket.destroy();
        else server.emit('connection', socket);
      },
      startEngine: () => {
        if (stopping !== undefined) return Promise.reject(new RouterError('SHUTTING_DOWN', 'The host is stopping; its durable engine does not start.'));
        return durableEngine.start();
      },
      ownership: () => durableEngine.ownership(),
      onOwnershipChange: (listener) => durableEngine.onOwnershipChange(listener),
      drain: async (timeoutMs) => {
        const closedByClients = await connections.drain(timeoutMs);
        if (!closedByClients && stopping === undefined) logger.warn({ timeoutMs }, 'Clients kept connections open past the drain time; closing them');
        await stop();
      },
      stop,
    };
  } catch (error) {
    // The start-up error is the one to report; clean-up failures were logged.
    await cleanUp().catch(() => undefined);
    throw error;
  }
}

function durableApiKeys(keyring: HostKeyring): DurableApiKeys {
  return {
    systemKey: () => {
      const key = keyring.current.systemKeys[durableTaskSystemKeyName];
      if (key === undefined) throw new RouterError('INVALID_CONFIGURATION', `The keys file ${keyring.file} has no "${durableTaskSystemKeyName}" system key; add one or delete the file to have new keys made.`);
      return key;
    },
    clientPath: () => durableClientPath(keyring.current.masterKey),
    clientRoutePrefix: durableClientRoutePrefix,
  };
}
