/**
 * The durable engine of the local Functions host: Durable Functions orchestrations, activities
 * and entities for an unmodified app, with its state in Azure Table storage (the
 * DurableTask.AzureStorage tracking-store schema plus a `{hub}Work` queue table).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DurableApiKeys, DurableClientBindingValue, DurableEngine, FunctionInvoker } from '../host-contracts.js';
import { creationUrls, managementUrls, requiredQueryStringParameters, webhookPath } from './api/status-payload.js';
import { registerManagementApi } from './api/management-api.js';
import { parseDurableTaskSettings } from './configuration/durable-task-settings.js';
import { isEntityInstanceId } from './entities/entity-batch.js';
import type { HistoryEvent } from './history/history-event.js';
import { ActivityRunner } from './runtime/activity-runner.js';
import { ClientOperations } from './runtime/client-operations.js';
import { EntityExecutor } from './runtime/entity-executor.js';
import { FunctionDirectory } from './runtime/function-directory.js';
import { InstanceScheduler } from './runtime/instance-scheduler.js';
import { OrchestrationExecutor } from './runtime/orchestration-executor.js';
import { recoverTaskHub } from './runtime/recovery.js';
import { TimerService } from './runtime/timer-service.js';
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
}

/** How long stop() lets running activities finish; their results are otherwise re-run after restart. */
const activityStopGraceMs = 5_000;

export async function createDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const settings = parseDurableTaskSettings(options.durableTask);
  const { logger } = options;
  const store = TrackingStore.open(options.resolveConnection(settings.trackingStoreConnectionName), settings.trackingTables, settings.hubName);
  const work = WorkQueue.open(options.resolveConnection(settings.connectionName), settings.workTable, settings.hubName);
  await Promise.all([store.ensureTables(), work.ensureTable()]);

  const functions = new FunctionDirectory(options.invoker.list());
  const scheduler: { current?: InstanceScheduler } = {};
  const post = (instanceId: string, item: Parameters<InstanceScheduler['post']>[1]): void => scheduler.current?.post(instanceId, item);
  const deliver = (instanceId: string, executionId: string, event: HistoryEvent): void => post(instanceId, { kind: 'memory', executionId, event });
  const activities = new ActivityRunner(settings.maxConcurrentActivityFunctions, options.invoker, deliver, logger);
  const timers = new TimerService(deliver);
  const orchestrations = new OrchestrationExecutor({ store, work, invoker: options.invoker, functions, settings, activities, timers, post, logger });
  const entities = new EntityExecutor({ store, work, invoker: options.invoker, functions, post, logger });
  const instances = new InstanceScheduler(
    settings.maxConcurrentOrchestratorFunctions,
    (instanceId, items) => (isEntityInstanceId(instanceId) ? entities.process(instanceId, items) : orchestrations.process(instanceId, items)),
    logger,
  );
  scheduler.current = instances;
  const client = new ClientOperations({ store, work, functions, settings, post, logger });
  const origin = options.baseUrl.replace(/\/+$/, '');
  const publicOrigin = options.publicOrigin?.replace(/\/+$/, '');
  const { keys } = options;
  let started = false;
  let stopping: Promise<void> | undefined;

  logger.info({
    taskHub: settings.hubName,
    instancesTable: settings.trackingTables.instances,
    historyTable: settings.trackingTables.history,
    workTable: settings.workTable,
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
      await recoverTaskHub(store, work, settings.hubName, instances, logger);
      instances.resume();
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        timers.stop();
        orchestrations.stop();
        await Promise.all([instances.stop(), activities.stop(activityStopGraceMs)]);
      })();
      return stopping;
    },
  };
}
