import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { appInfo } from '../app-info';
import { startedOnOrAfter } from '../orchestration-version';
import {
  InvalidOrderError,
  orderTotal,
  validateOrder,
  type ApprovalDecision,
  type OrderItem,
  type OrderOutcome,
  type OrderRequest,
  type Payment,
  type Reservation,
  type Shipment,
  type ValidatedOrder,
} from '../order';
import { completedOrdersCounter } from './counter';

export const approvalEventName = 'Approval';

/**
 * The order workflow: validate (activity chain), reserve every item in parallel (fan-out/fan-in),
 * wait for a person's approval of large orders, racing a durable timer, charge the payment with
 * retries, ship, and count the completed order in a durable entity.
 */
const processOrder: OrchestrationHandler = function* (context: OrchestrationContext) {
  const request = context.df.getInput<OrderRequest>();
  context.df.setCustomStatus({ stage: 'validating' });
  const order: ValidatedOrder = yield context.df.callActivity('validateOrder', { orderId: context.df.instanceId, request });

  context.df.setCustomStatus({ stage: 'reserving', items: order.items.length });
  const reservations: Reservation[] = yield context.df.Task.all(order.items.map((item) => context.df.callActivity('reserveItem', item)));
  const total = orderTotal(reservations);

  if (total >= order.approvalThreshold) {
    context.df.setCustomStatus({ stage: 'awaitingApproval', total });
    const deadline = new Date(context.df.currentUtcDateTime.getTime() + order.approvalTimeoutSeconds * 1000);
    const timeout = context.df.createTimer(deadline);
    const approval = context.df.waitForExternalEvent(approvalEventName);
    const winner: unknown = yield context.df.Task.any([approval, timeout]);
    let rejection: string | undefined;
    if (winner === timeout) {
      rejection = `not approved within ${order.approvalTimeoutSeconds} s`;
    } else {
      timeout.cancel();
      const decision = approval.result as ApprovalDecision;
      if (!decision?.approved) rejection = `rejected by ${decision?.by ?? 'the approver'}`;
    }
    if (rejection !== undefined) {
      context.df.setCustomStatus({ stage: 'releasing', total });
      yield context.df.Task.all(reservations.map((reservation) => context.df.callActivity('releaseItem', reservation)));
      context.df.setCustomStatus({ stage: 'rejected', total });
      const outcome: OrderOutcome = { orderId: order.orderId, status: 'Rejected', total, reason: rejection };
      return outcome;
    }
  }

  // From 1.1 on, orders earn loyalty points. An order that started on 1.0 keeps 1.0's steps, even
  // when 1.1's code replays it (orchestration versioning: one app runs both).
  let loyaltyPoints: number | undefined;
  if (startedOnOrAfter(context.df.version, '1.1.0')) {
    context.df.setCustomStatus({ stage: 'awarding-points', total });
    loyaltyPoints = (yield context.df.callActivity('awardLoyaltyPoints', { orderId: order.orderId, total })) as number;
  }

  context.df.setCustomStatus({ stage: 'charging', total });
  const payment: Payment = yield context.df.callActivityWithRetry('chargePayment', new df.RetryOptions(1000, 4), {
    orderId: order.orderId,
    amount: total,
    failures: order.paymentFailures,
  });

  context.df.setCustomStatus({ stage: 'shipping', total });
  const shipment: Shipment = yield context.df.callActivity('shipOrder', { orderId: order.orderId, reservations });
  context.df.signalEntity(completedOrdersCounter, 'add', 1);

  context.df.setCustomStatus({ stage: 'completed', total });
  const outcome: OrderOutcome = {
    orderId: order.orderId,
    status: 'Completed',
    total,
    paymentId: payment.paymentId,
    trackingNumber: shipment.trackingNumber,
    appVersion: shipment.shippedBy,
    ...(loyaltyPoints === undefined ? {} : { loyaltyPoints }),
  };
  return outcome;
};
df.app.orchestration('processOrder', processOrder);

const validateOrderActivity: ActivityHandler = (input: { orderId: string; request: OrderRequest }): ValidatedOrder =>
  validateOrder(input.orderId, input.request);
df.app.activity('validateOrder', { handler: validateOrderActivity });

df.app.activity('reserveItem', {
  handler: (item: OrderItem): Reservation => ({
    sku: item.sku,
    quantity: item.quantity,
    reservationId: `res-${item.sku}-${item.quantity}`,
    amount: Math.round(item.quantity * item.unitPrice * 100) / 100,
  }),
});

df.app.activity('releaseItem', {
  handler: (reservation: Reservation, context: InvocationContext): string => {
    context.log(`Released ${reservation.reservationId}`);
    return reservation.reservationId;
  },
});

/** Stands in for a payment provider that fails transiently: `failures` attempts fail per order, per process. */
const paymentAttempts = new Map<string, number>();
df.app.activity('chargePayment', {
  handler: (input: { orderId: string; amount: number; failures: number }): Payment => {
    const attempt = (paymentAttempts.get(input.orderId) ?? 0) + 1;
    paymentAttempts.set(input.orderId, attempt);
    if (attempt <= input.failures) throw new Error(`Payment provider unavailable (attempt ${attempt})`);
    return { paymentId: `pay-${input.orderId}`, amount: input.amount };
  },
});

df.app.activity('awardLoyaltyPoints', {
  handler: (input: { orderId: string; total: number }): number => Math.floor(input.total / 10),
});

df.app.activity('shipOrder', {
  handler: (input: { orderId: string }): Shipment => ({ trackingNumber: `TRK-${input.orderId}`, shippedBy: appInfo.version }),
});

function badRequest(message: string): HttpResponseInit {
  return { status: 400, jsonBody: { error: { code: 'INVALID_REQUEST', message } } };
}

async function readJson(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /\b404\b|No instance with ID/.test(error.message);
}

app.http('startOrder', {
  route: 'orders',
  methods: ['POST'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let body: Partial<OrderRequest> | undefined;
    try {
      body = (await readJson(request)) as Partial<OrderRequest> | undefined;
      validateOrder(body?.orderId ?? 'new', body);
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof InvalidOrderError) return badRequest(error.message);
      throw error;
    }
    const client = df.getClient(context);
    const instanceId = await client.startNew('processOrder', { input: body, ...(body?.orderId ? { instanceId: body.orderId } : {}) });
    context.log(`Started order workflow ${instanceId}`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('getOrder', {
  route: 'orders/{id}',
  methods: ['GET'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    try {
      const status = await client.getStatus(request.params['id'] ?? '');
      return {
        jsonBody: {
          orderId: status.instanceId,
          runtimeStatus: status.runtimeStatus,
          customStatus: status.customStatus,
          output: status.output,
          createdTime: status.createdTime,
          lastUpdatedTime: status.lastUpdatedTime,
        },
      };
    } catch (error) {
      if (isNotFound(error)) return { status: 404, jsonBody: { error: { code: 'INSTANCE_NOT_FOUND', message: `No order ${request.params['id']}.` } } };
      throw error;
    }
  },
});

app.http('approveOrder', {
  route: 'orders/{id}/approval',
  methods: ['POST'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let decision: ApprovalDecision;
    try {
      const body = (await readJson(request)) as Partial<ApprovalDecision> | undefined;
      if (typeof body?.approved !== 'boolean') return badRequest('Send {"approved": true|false, "by": "name"}.');
      decision = { approved: body.approved, ...(typeof body.by === 'string' ? { by: body.by } : {}) };
    } catch (error) {
      if (error instanceof SyntaxError) return badRequest(error.message);
      throw error;
    }
    const client = df.getClient(context);
    try {
      await client.raiseEvent(request.params['id'] ?? '', approvalEventName, decision);
    } catch (error) {
      if (isNotFound(error)) return { status: 404, jsonBody: { error: { code: 'INSTANCE_NOT_FOUND', message: `No order ${request.params['id']}.` } } };
      throw error;
    }
    return { status: 202, jsonBody: { orderId: request.params['id'], decision } };
  },
});
