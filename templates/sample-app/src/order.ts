/** The order workflow's data, and its rules as plain functions. */

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface OrderRequest {
  readonly orderId?: string;
  readonly customer: string;
  readonly items: readonly OrderItem[];
  /** Orders whose total reaches this need a person's approval (default 1000). */
  readonly approvalThreshold?: number;
  /** How long an approval may take before the order is rejected (default one day). */
  readonly approvalTimeoutSeconds?: number;
  /** Demo knob: how many times the payment provider fails before it accepts this order. */
  readonly paymentFailures?: number;
}

export interface ValidatedOrder {
  readonly orderId: string;
  readonly customer: string;
  readonly items: readonly OrderItem[];
  readonly approvalThreshold: number;
  readonly approvalTimeoutSeconds: number;
  readonly paymentFailures: number;
}

export interface Reservation {
  readonly sku: string;
  readonly quantity: number;
  readonly reservationId: string;
  readonly amount: number;
}

export interface ApprovalDecision {
  readonly approved: boolean;
  readonly by?: string;
}

export interface Payment {
  readonly paymentId: string;
  readonly amount: number;
}

export interface Shipment {
  readonly trackingNumber: string;
  readonly shippedBy: string;
}

export type OrderOutcome =
  | {
      readonly orderId: string;
      readonly status: 'Completed';
      readonly total: number;
      readonly paymentId: string;
      readonly trackingNumber: string;
      readonly appVersion: string;
      /** Orders started on 1.1 or later. */
      readonly loyaltyPoints?: number;
    }
  | { readonly orderId: string; readonly status: 'Rejected'; readonly total: number; readonly reason: string };

export const defaultApprovalThreshold = 1000;
export const defaultApprovalTimeoutSeconds = 24 * 60 * 60;

export class InvalidOrderError extends Error {
  override readonly name = 'InvalidOrderError';
}

function positiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

export function validateOrder(orderId: string, request: Partial<OrderRequest> | undefined): ValidatedOrder {
  if (!request || typeof request.customer !== 'string' || request.customer.trim() === '') {
    throw new InvalidOrderError('An order needs a customer.');
  }
  if (!Array.isArray(request.items) || request.items.length === 0) {
    throw new InvalidOrderError('An order needs at least one item.');
  }
  for (const item of request.items as OrderItem[]) {
    if (typeof item?.sku !== 'string' || item.sku === '' || !Number.isInteger(item.quantity) || item.quantity <= 0 || !positiveNumber(item.unitPrice)) {
      throw new InvalidOrderError(`Item ${JSON.stringify(item)} needs a sku, a positive whole quantity and a positive unitPrice.`);
    }
  }
  return {
    orderId,
    customer: request.customer,
    items: request.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    approvalThreshold: positiveNumber(request.approvalThreshold) ? request.approvalThreshold : defaultApprovalThreshold,
    approvalTimeoutSeconds: positiveNumber(request.approvalTimeoutSeconds) ? request.approvalTimeoutSeconds : defaultApprovalTimeoutSeconds,
    paymentFailures: Number.isInteger(request.paymentFailures) && (request.paymentFailures as number) > 0 ? (request.paymentFailures as number) : 0,
  };
}

export function orderTotal(reservations: readonly Reservation[]): number {
  return Math.round(reservations.reduce((sum, r) => sum + r.amount, 0) * 100) / 100;
}
