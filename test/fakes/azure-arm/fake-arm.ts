/**
 * A stateful fake of Azure Resource Manager for the Azure platform adapter's tests: an HTTP server
 * on 127.0.0.1 that speaks ARM REST for what the router needs of Function Apps (resource groups,
 * App Service plans, sites, settings, keys, functions, OneDeploy, name availability, tags), with
 * the methods, paths and api-versions of arm-operations.json, and enforces the contract as ARM
 * does (bearer token, api-version, case-insensitive paths, request bodies, long-running
 * operations). Its sites really run: each is a process of the project's local Functions host
 * behind an HTTPS front whose address is the site's defaultHostName. Faults can be injected in
 * process (`faults`) or over HTTP (`POST {endpoint}/__fake/faults`).
 *
 * Usage:
 *   const fake = await startFakeArm({ dataDir: path.join(repositoryRoot, '.data', 'test', 'fake-arm-x') });
 *   new WebSiteManagementClient(fake.credential, fake.subscriptionId, { endpoint: fake.endpoint, allowInsecureConnection: true })
 *   // ...with the bearer policy swapped for one that adds the token (see fake-arm-clients.ts).
 *   await fake.stop();
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { pino, type Logger } from 'pino';
import { RouterError } from '../../../shared/errors/router-error.js';
import { claimDataDir } from './fake-arm-data-dir.js';
import { fakeArmNow, FakeArmAccounting, type ArmCall, type BusyInterval } from './accounting/fake-arm-accounting.js';
import { FaultBook, type FaultInjection } from './faults/fault-injection.js';
import { loadOperationCatalogue } from './operations/operation-catalogue.js';
import { RouteTable } from './operations/route-table.js';
import { servedRoutes } from './operations/served-operations.js';
import type { ErrorShape } from './protocol/arm-error.js';
import { startArmServer, type ArmResponse, type ArmServer, type ControlRequest, type OperationHandler } from './protocol/arm-server.js';
import { LongRunningOperations } from './protocol/long-running-operations.js';
import type { FakeArmContext, FakeArmSettings } from './resources/fake-arm-context.js';
import { FakeArmState } from './resources/fake-arm-state.js';
import { nameAvailabilityOperation } from './resources/name-availability-operation.js';
import { oneDeployOperations } from './resources/one-deploy-operations.js';
import { operationResultOperation } from './resources/operation-result-operation.js';
import { planOperations } from './resources/plan-operations.js';
import { resourceGroupOperations } from './resources/resource-group-operations.js';
import { siteFunctionOperations } from './resources/site-function-operations.js';
import { siteKeyOperations } from './resources/site-key-operations.js';
import { siteOperations } from './resources/site-operations.js';
import { siteSettingsOperations } from './resources/site-settings-operations.js';
import { tagOperations } from './resources/tag-operations.js';
import { describeState, type FakeArmStateView } from './resources/state-views.js';
import { readTestCa } from './sites/test-tls.js';

export interface FakeArmOptions {
  /** Holds the sites' local platforms and downloaded packages; under the repository's .data/test/ (apps resolve @azure/functions from its node_modules). */
  readonly dataDir: string;
  /** Default '00000000-0000-0000-0000-000000000000'. */
  readonly subscriptionId?: string;
  /** The bearer token the fake demands; default random. */
  readonly token?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** How long a long-running operation stays in progress (default 0: done by the first poll). */
  readonly lroDelayMs?: number;
  /** Items per page of a list (default 10): small pages exercise nextLink. */
  readonly pageSize?: number;
  /** What syncFunctionTriggers answers: 200 {"status":"success"} as the live service (default), or 204 as the spec. */
  readonly syncTriggersStatus?: 200 | 204;
  /** The shape of Microsoft.Web errors (default `wrapped`); `pascal`: the live App Service's unwrapped form. */
  readonly appServiceErrorShape?: ErrorShape;
  /** How long a site's app may take to start (default 60 s). */
  readonly siteStartTimeoutMs?: number;
  /** The fake's own events (default: silent). Never setting values, keys or SAS tokens. */
  readonly logger?: Logger;
  /** Every line a site's host logs. */
  readonly onAppLog?: (siteName: string, line: string) => void;
}

export interface FakeArm {
  /** 'http://127.0.0.1:PORT': the ARM endpoint (resourceManager URL). */
  readonly endpoint: string;
  /** Send 'Authorization: Bearer <token>'. */
  readonly token: string;
  readonly subscriptionId: string;
  /** Gives `token`. */
  readonly credential: TokenCredential;
  /** Every ARM call answered, in order. */
  readonly calls: readonly ArmCall[];
  /** When the fake itself was busy: requests, long-running operations in progress, deployments, restarts. */
  readonly busy: readonly BusyInterval[];
  /** How long within [from, to] (epoch ms, as in `calls`) the fake was busy on anything. */
  busyMsBetween(from: number, to: number): number;
  readonly faults: FaultInjection;
  readonly state: FakeArmStateView;
  /** Work after an answer (a deployment, a restart) that failed unexpectedly; a deployment's own failure is reported in its status instead. */
  readonly backgroundFailures: readonly { readonly task: string; readonly message: string }[];
  /** Stops the server, waits for deployments under way, stops every site's process. Sites' files stay. */
  stop(): Promise<void>;
}

const defaultSubscriptionId = '00000000-0000-0000-0000-000000000000';

export async function startFakeArm(options: FakeArmOptions): Promise<FakeArm> {
  const dataDir = path.resolve(options.dataDir);
  await claimDataDir(dataDir);
  const logger = options.logger ?? pino({ level: 'silent' });
  const subscriptionId = options.subscriptionId ?? defaultSubscriptionId;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const settings: FakeArmSettings = {
    dataDir,
    lroDelayMs: nonNegative(options.lroDelayMs ?? 0, 'lroDelayMs'),
    pageSize: positive(options.pageSize ?? 10, 'pageSize'),
    syncTriggersStatus: options.syncTriggersStatus ?? 200,
    siteStartTimeoutMs: positive(options.siteStartTimeoutMs ?? 60_000, 'siteStartTimeoutMs'),
    downloadCa: readTestCa(),
  };
  const routes = servedRoutes(loadOperationCatalogue());
  const accounting = new FakeArmAccounting();
  const faults = new FaultBook(routes.map((route) => route.operationId));
  const state = new FakeArmState(subscriptionId);
  const operations = new LongRunningOperations(accounting);
  const pending = new Set<Promise<void>>();
  const backgroundFailures: { task: string; message: string }[] = [];
  // Location and nextLink URLs need the endpoint, known once the server listens.
  const listening: { server?: ArmServer } = {};
  const context: FakeArmContext = {
    state,
    faults,
    operations,
    accounting,
    settings,
    logger,
    onAppLog: options.onAppLog,
    endpoint: () => listening.server?.endpoint ?? '',
    background: (task, work) => {
      const running = work().catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        backgroundFailures.push({ task, message });
        logger.error({ task, err: error }, 'background work of the fake ARM failed');
      });
      pending.add(running);
      void running.finally(() => pending.delete(running));
    },
  };
  const handlers = new Map<string, OperationHandler>(
    Object.entries({
      ...resourceGroupOperations(context),
      ...tagOperations(context),
      ...planOperations(context),
      ...siteOperations(context),
      ...siteSettingsOperations(context),
      ...siteKeyOperations(context),
      ...siteFunctionOperations(context),
      ...oneDeployOperations(context),
      ...nameAvailabilityOperation(context),
      ...operationResultOperation(context),
    }).filter((entry): entry is [string, OperationHandler] => entry[1] !== undefined),
  );
  const unhandled = routes.filter((route) => !handlers.has(route.operationId)).map((route) => route.operationId);
  if (unhandled.length > 0) throw new RouterError('INTERNAL', `The fake ARM routes operations it has no handler for: ${unhandled.join(', ')}.`);

  const control = async (request: ControlRequest): Promise<ArmResponse> => {
    if (request.method === 'POST' && request.path === '/__fake/faults') {
      faults.apply(request.body);
      return { status: 204 };
    }
    if (request.method === 'GET' && request.path === '/__fake/calls') return { status: 200, body: { calls: accounting.calls, busy: accounting.busy } };
    if (request.method === 'GET' && request.path === '/__fake/state') return { status: 200, body: describeState(state) };
    return { status: 404, body: { error: { code: 'NotFound', message: 'The fake ARM\'s control surface is POST /__fake/faults, GET /__fake/calls and GET /__fake/state.' } } };
  };
  const server = await startArmServer({
    port: options.port ?? 0,
    token,
    subscriptionId,
    routes: new RouteTable(routes),
    handlers,
    faults,
    accounting,
    errorShape: (operationId) => (operationId.startsWith('ResourceGroups_') || operationId.startsWith('Tags_') ? 'wrapped' : (options.appServiceErrorShape ?? 'wrapped')),
    control,
    logger,
  });
  listening.server = server;
  const endpoint = server.endpoint;
  logger.info({ endpoint, subscriptionId, dataDir }, 'the fake ARM listens');

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    token,
    subscriptionId,
    credential: { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' }) },
    calls: accounting.calls,
    busy: accounting.busy,
    busyMsBetween: (from, to) => accounting.busyMsBetween(from, to),
    faults,
    state: {
      resourceGroups: () => describeState(state).resourceGroups,
      plans: () => describeState(state).plans,
      sites: () => describeState(state).sites,
    },
    backgroundFailures,
    stop: () => {
      stopping ??= (async () => {
        const started = fakeArmNow();
        await server.close();
        operations.cancelAll();
        await Promise.allSettled([...pending]);
        const results = await Promise.allSettled([...state.sites.values()].map((site) => site.host.shutdown()));
        const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason as unknown);
        logger.info({ ms: Math.round(fakeArmNow() - started) }, 'the fake ARM stopped');
        if (failures.length > 0) throw new AggregateError(failures, 'Some sites of the fake ARM did not stop cleanly.');
      })();
      return stopping;
    },
  };
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RouterError('INVALID_CONFIGURATION', `The fake ARM's ${name} must be a number of at least 0, not ${value}.`);
  return value;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RouterError('INVALID_CONFIGURATION', `The fake ARM's ${name} must be a whole number of at least 1, not ${value}.`);
  return value;
}
