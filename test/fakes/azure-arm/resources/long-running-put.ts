/**
 * The answer of a long-running PUT (plan, site): the resource marked InProgress, a 202 with its
 * body, a Location URL to poll and Retry-After. The operation takes `faults.delay` of the operation
 * if one is set, else the fake's `lroDelayMs`.
 */
import type { ArmResponse } from '../protocol/arm-server.js';
import { retryAfterSeconds } from '../protocol/long-running-operations.js';
import type { FakeArmContext } from './fake-arm-context.js';
import type { ProvisioningState } from './fake-arm-state.js';

export interface PendingResource {
  provisioningState: ProvisioningState;
  pendingOperation: string | undefined;
}

const webApiVersion = '2025-05-01';

export function acceptLongRunningPut(
  context: FakeArmContext,
  request: { readonly operationId: string; readonly resourceId: string; readonly location: string },
  resource: PendingResource,
  result: () => Record<string, unknown>,
): ArmResponse {
  resource.provisioningState = 'InProgress';
  const operation = context.operations.start({
    operationId: request.operationId,
    resource: request.resourceId,
    durationMs: context.faults.delayOf(request.operationId) ?? context.settings.lroDelayMs,
    complete: (operation) => {
      if (resource.pendingOperation !== operation.id) return;
      resource.pendingOperation = undefined;
      resource.provisioningState = 'Succeeded';
    },
    result,
  });
  // start() completes a zero-length operation at once, before pendingOperation could name it.
  if (!operation.done) resource.pendingOperation = operation.id;
  else resource.provisioningState = 'Succeeded';
  return {
    status: 202,
    body: result(),
    headers: {
      location: operationResultUrl(context, request.location, operation.id),
      'retry-after': String(retryAfterSeconds(operation)),
    },
  };
}

export function operationResultUrl(context: FakeArmContext, location: string, operationId: string): string {
  return `${context.endpoint()}/subscriptions/${context.state.subscriptionId}/providers/Microsoft.Web/locations/${encodeURIComponent(location)}/operationResults/${operationId}?api-version=${webApiVersion}`;
}
