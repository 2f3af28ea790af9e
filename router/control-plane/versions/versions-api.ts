/**
 * The control plane's operator API (HTTP triggers, route prefix `api`):
 *   POST   api/versions/{routeKey}/current   make it current (a rollback, for a draining or drained version)
 *   POST   api/versions/{routeKey}/drain     it takes no new work; its drain monitor starts
 *   DELETE api/versions/{routeKey}[?force=true]  decommission: delete its app. Refused unless it
 *          is drained, with the number of unfinished instances it would abandon; `force` does it
 *          anyway and answers that number.
 * Each runs as a short orchestration; the answer waits for it (up to 30 s, else 202 with its id).
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { RouterError } from '../../../shared/errors/router-error.js';
import { parseRouteKey } from '../../../shared/versions/semantic-version.js';
import type { ActiveInstanceCounts } from '../../../shared/tracking-store/tracking-store-reader.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import { waitForFinish } from '../durable/instance-status.js';
import { isOutcome, routerErrorOf } from '../durable/outcome.js';
import { orchestrationNames } from '../function-names.js';
import { authorize, respond } from '../http/api-responses.js';
import { operationIdFor } from '../releases/release-naming.js';
import { controlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import type { VersionChange } from './version-activities.js';
import { requireEntry } from './version-changes.js';
import { countUnfinished } from '../drain/unfinished-instances.js';

/** Inside the front door's 25 s forwarding bound, so a slow operation is answered 202 with its id, never 504. */
const operationWaitMs = 20_000;

export async function makeVersionCurrent(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const routeKey = authorizedRouteKey(request);
    const result = await runOperation(context, orchestrationNames.makeCurrent, operationIdFor('current', routeKey, randomUUID()), { routeKey });
    return result.finished ? { status: 200, jsonBody: result.change } : result.response;
  });
}

export async function drainVersionNow(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const routeKey = authorizedRouteKey(request);
    const result = await runOperation(context, orchestrationNames.drain, operationIdFor('drain', routeKey, randomUUID()), { routeKey });
    return result.finished ? { status: 200, jsonBody: result.change } : result.response;
  });
}

export async function decommissionVersionNow(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const routeKey = authorizedRouteKey(request);
    const forceParameter = request.query.get('force');
    if (forceParameter !== null && forceParameter !== 'true' && forceParameter !== 'false') throw new RouterError('INVALID_REQUEST', 'The query parameter "force" must be true or false.');
    const force = forceParameter === 'true';
    const runtime = controlPlaneRuntime();
    const { map } = await runtime.store.read();
    const entry = requireEntry(map, routeKey);
    const counted = entry.state === 'active' || entry.state === 'draining' || entry.state === 'drained';
    const counts = counted ? await countUnfinished(runtime.tracking, map, entry) : { pending: 0, running: 0, suspended: 0 };
    const unfinished = total(counts);
    if (!force && (entry.state === 'active' || entry.state === 'draining')) {
      const advice = entry.state === 'active' ? `drain it first (POST /admin/versions/${routeKey}/drain)` : 'wait until its drain monitor finds it drained';
      throw new RouterError(
        'VERSION_STATE_CONFLICT',
        `Version ${routeKey} is ${entry.state} and has ${describeCounts(counts)}; decommissioning it now would abandon ${unfinished} unfinished instance${unfinished === 1 ? '' : 's'}. ${capitalize(advice)}, or force it (DELETE /admin/versions/${routeKey}?force=true).`,
        { details: { routeKey, state: entry.state, instances: { ...counts, total: unfinished } } },
      );
    }
    const result = await runOperation(context, orchestrationNames.decommission, operationIdFor('decommission', routeKey, randomUUID()), { routeKey, force });
    if (!result.finished) return result.response;
    if (force && unfinished > 0) context.warn(`Version ${routeKey} was decommissioned by force, abandoning ${describeCounts(counts)}.`);
    return { status: 200, jsonBody: { ...result.change, forced: force, abandoned: { ...counts, total: unfinished } } };
  });
}

function authorizedRouteKey(request: HttpRequest): RouteKey {
  authorize(request, controlPlaneRuntime().settings.key);
  return parseRouteKey(request.params['routeKey'] ?? '');
}

/** Starts the operation and waits for its Outcome; an operation still running after the wait answers 202. */
type OperationResult = { readonly finished: true; readonly change: VersionChange } | { readonly finished: false; readonly response: HttpResponseInit };

async function runOperation(context: InvocationContext, name: string, instanceId: string, input: unknown): Promise<OperationResult> {
  const client = df.getClient(context);
  await client.startNew(name, { instanceId, input });
  const status = await waitForFinish(client, instanceId, operationWaitMs);
  const runtimeStatus = String(status.runtimeStatus);
  if (runtimeStatus === 'Completed' && isOutcome(status.output)) {
    if (status.output.ok) return { finished: true, change: status.output.value as VersionChange };
    throw routerErrorOf(status.output.error);
  }
  if (runtimeStatus === 'Failed' || runtimeStatus === 'Terminated' || runtimeStatus === 'Canceled') {
    throw new RouterError('INTERNAL', `The operation ${instanceId} ended ${runtimeStatus.toLowerCase()}: ${String(status.output ?? 'no reason given')}`);
  }
  return {
    finished: false,
    response: { status: 202, jsonBody: { id: instanceId, state: 'running', message: `The operation is still running after ${operationWaitMs / 1000} s; it will finish on its own.` } },
  };
}

function total(counts: ActiveInstanceCounts): number {
  return counts.pending + counts.running + counts.suspended;
}

function describeCounts(counts: ActiveInstanceCounts): string {
  return `${counts.running} running, ${counts.pending} pending and ${counts.suspended} suspended instance${total(counts) === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
