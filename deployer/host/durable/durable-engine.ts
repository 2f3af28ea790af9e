/**
 * The durable engine of the local Functions host: Durable Functions orchestrations, activities
 * and entities for an unmodified app, with its state in Azure Table storage (the
 * DurableTask.AzureStorage tracking-store schema plus a `{hub}Work` queue table).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DurableApiKeys, DurableClientBindingValue, DurableEngine, DurableOwnership, FunctionInvoker } from '../host-contracts.js';
import { creationUrls, managementUrls, requiredQueryStringParameters, webhookPath } from './api/status-payload.js';
import { registerManagementApi } from './api/management-api.js';
import { parseDurableTaskSettings } from './configuration/durable-task-settings.js';
import { ClientOperations } from './runtime/client-operations.js';
import { FunctionDirectory } from './runtime/function-directory.js';
import { HubWorker } from './runtime/hub-worker.js';
import { defaultLeaseTimings, TaskHubLease, type LeaseTimings } from './ownership/task-hub-lease.js';
import { LeaseTable } from './storage/lease-table.js';
import { TrackingStore } from './storage/tracking-store.js';
import { WorkQueue } from './storage/work-queue.js';

export interface DurableEngineOptions {
  readonly invoker: FunctionInvoker;
  /** host.json `extensions.durableTask`, if any. */
  readonly durableTask: Readonly<Record<string, unknown>> | undefined;
  /** Connection strings by setting name (AzureWebJobsStorage is the default connection). */
  resolveConnection(name: string): string;
  /** The host's own origin, e.g. http://127.0.0.1:7071: where the app's durable client calls the API. */
  readonly baseUrl: string;
  /** The origin of the URLs handed to clients (`https://${WEBSITE_HOSTNAME}`); default `baseUrl`. */
  readonly publicOrigin?: string;
  /** Set when the host enforces keys. */
  readonly keys?: DurableApiKeys;
  readonly logger: Logger;
  /** Tests shorten the task hub lease's timings (lease duration, renewal, …); not a user setting. */
  readonly lease?: Partial<LeaseTimings>;
  /** How often the owner looks for work messages other processes wrote (default 1 s); tests shorten it. */
  readonly workPollMs?: number;
}

/** How long stop() lets running activities finish; their results are otherwise re-run after restart. */
const activityStopGraceMs = 5_000;
const defaultWorkPollMs = 1_000;

export async function createDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const settings = parseDurableTaskSettings(options.durableTask);
  const { logger } = options;
  const store = TrackingStore.open(options.resolveConnection(settings.trackingStoreConnectionName), settings.trackingTables, settings.hubName);
  const work = WorkQueue.open(options.resolveConnection(settings.connectionName), settings.workTable, settings.hubName);
  await Promise.all([store.ensureTables(), work.ensureTable()]);

  const functions = new FunctionDirectory(options.invoker.list());
  const timings: LeaseTimings = { ...defaultLeaseTimings, ...options.lease };
  // Lease calls give up well within the lease, so a stalled store is noticed while it runs.
  const leaseTable = LeaseTable.open(options.resolveConnection(settings.connectionName), settings.leaseTable, {
    attemptMs: Math.min(5_000, timings.renewMs), totalMs: timings.durationMs / 2, firstBackoffMs: 100, maxBackoffMs: 1_000,
  });
  let worker: HubWorker | undefined;
  let begun: Promise<void> | undefined;
  const listeners = new Set<(owns: boolean) => void>();
  const announce = (owns: boolean): void => {
    for (const listener of listeners) listener(owns);
  };
  let stopping: Promise<void> | undefined;
  const lease: TaskHubLease = new TaskHubLease(leaseTable, timings, {
    acquired() {
      if (stopping !== undefined) return;
      const current = new HubWorker({
        store, work, invoker: options.invoker, functions, settings, owns: () => lease.holds(), workPollMs: options.workPollMs ?? defaultWorkPollMs, logger,
      });
      worker = current;
      begun = current.begin().catch(async (error: unknown) => {
        logger.error({ err: error }, 'Could not recover the task hub\'s unfinished work; giving the lease up to try again');
        current.abort();
        if (worker === current) worker = undefined;
        await lease.relinquish().catch((releasing: unknown) => logger.warn({ err: releasing }, 'Could not release the task hub lease'));
        announce(false);
      });
      announce(true);
    },
    lost() {
      worker?.abort();
      worker = undefined;
      announce(false);
    },
    async handOver() {
      const current = worker;
      await current?.drain(timings.handoverDrainMs);
      if (worker === current) worker = undefined;
      announce(false);
    },
  }, logger);
  const client = new ClientOperations({ store, work, functions, settings, post: (instanceId, item) => worker?.accept(instanceId, item) ?? false, logger });
  const origin = options.baseUrl.replace(/\/+$/, '');
  const publicOrigin = options.publicOrigin?.replace(/\/+$/, '');
  const { keys } = options;
  let started = false;

  logger.info({
    taskHub: settings.hubName,
    instancesTable: settings.trackingTables.instances,
    historyTable: settings.trackingTables.history,
    workTable: settings.workTable,
    leaseTable: settings.leaseTable,
  }, 'Durable task hub configured');

  return {
    taskHubName: settings.hubName,
    clientBinding(): DurableClientBindingValue {
      const code = keys?.systemKey();
      const urlOrigin = publicOrigin ?? origin;
      return {
        taskHubName: settings.hubName,
        creationUrls: creationUrls(urlOrigin, settings.hubName, code),
        managementUrls: managementUrls(urlOrigin, 'INSTANCEID', settings.hubName, code),
        baseUrl: `${urlOrigin}${webhookPath}`,
        requiredQueryStringParameters: requiredQueryStringParameters(settings.hubName, code),
        rpcBaseUrl: `${origin}${keys === undefined ? webhookPath : keys.clientPath()}/`,
        httpBaseUrl: `${urlOrigin}${webhookPath}`,
        maxGrpcMessageSizeInBytes: 0,
        grpcHttpClientTimeout: '00:01:40',
      };
    },
    registerRoutes(server: FastifyInstance): void {
      const api = {
        client,
        baseUrl: origin,
        logger,
        ...(publicOrigin === undefined ? {} : { publicOrigin }),
        ...(keys === undefined ? {} : { code: () => keys.systemKey() }),
      };
      registerManagementApi(server, api);
      if (keys !== undefined) registerManagementApi(server, api, keys.clientRoutePrefix);
    },
    async start(): Promise<void> {
      if (started) return;
      started = true;
      // The first look at the lease: a free hub is taken (and its work recovered) before this resolves.
      await lease.start();
      await begun;
      if (!lease.holds()) logger.info({ owner: lease.status().owner }, 'Another host owns the task hub: this one serves its HTTP API and waits for the hub');
    },
    ownership(): DurableOwnership {
      const status = lease.status();
      return { taskHubName: settings.hubName, ownsTaskHub: status.owns, leaseOwner: status.owner };
    },
    onOwnershipChange(listener: (owns: boolean) => void): void {
      listeners.add(listener);
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        const current = worker;
        await current?.drain(activityStopGraceMs);
        if (worker === current) worker = undefined;
        // Last: a clean stop hands the hub over at once.
        if (started) await lease.stop();
      })();
      return stopping;
    },
  };
}
