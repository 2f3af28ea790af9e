/**
 * Long-running operations (plan and site PUTs): the PUT answers 202 with a Location URL, the
 * resource shows provisioningState InProgress until the operation completes after its delay, and
 * the Location URL answers 202 until then and 200 with the resource after. ARM's Retry-After says
 * how long to wait; the fake says the seconds left, rounded (0 when less than half a second is left,
 * so that short test delays do not cost a whole second per poll).
 */
import { randomUUID } from 'node:crypto';
import { fakeArmNow, type FakeArmAccounting } from '../accounting/fake-arm-accounting.js';
import { ArmError } from './arm-error.js';

export interface LongRunningOperation {
  readonly id: string;
  readonly operationId: string;
  readonly resource: string;
  readonly startedAt: number;
  readonly completesAt: number;
  /** The resource as it is now (an ArmError 404 if it is gone). */
  readonly result: () => Record<string, unknown>;
  done: boolean;
}

export interface StartOperation {
  readonly operationId: string;
  /** The resource's id, for accounting and messages. */
  readonly resource: string;
  readonly durationMs: number;
  /** Marks the resource Succeeded (if this operation is still the one it waits for). */
  readonly complete: (operation: LongRunningOperation) => void;
  readonly result: () => Record<string, unknown>;
}

export type OperationPoll =
  | { readonly status: 202; readonly retryAfterSeconds: number }
  | { readonly status: 200; readonly body: Record<string, unknown> };

export class LongRunningOperations {
  readonly #operations = new Map<string, LongRunningOperation>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #accounting: FakeArmAccounting;

  constructor(accounting: FakeArmAccounting) {
    this.#accounting = accounting;
  }

  start(request: StartOperation): LongRunningOperation {
    const startedAt = fakeArmNow();
    const operation: LongRunningOperation = {
      id: randomUUID(),
      operationId: request.operationId,
      resource: request.resource,
      startedAt,
      completesAt: startedAt + request.durationMs,
      result: request.result,
      done: false,
    };
    this.#operations.set(operation.id, operation);
    const finish = (): void => {
      operation.done = true;
      request.complete(operation);
      this.#accounting.recordBusy({ kind: 'long-running-operation', operationId: request.operationId, resource: request.resource, startedAt, endedAt: fakeArmNow() });
    };
    if (request.durationMs <= 0) {
      finish();
    } else {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        finish();
      }, request.durationMs);
      this.#timers.add(timer);
    }
    return operation;
  }

  poll(id: string): OperationPoll {
    const operation = this.#operations.get(id);
    if (operation === undefined) throw new ArmError(404, 'NotFound', `There is no operation '${id}'.`);
    if (operation.done) return { status: 200, body: operation.result() };
    return { status: 202, retryAfterSeconds: retryAfterSeconds(operation) };
  }

  operation(id: string): LongRunningOperation | undefined {
    return this.#operations.get(id);
  }

  /** The fake is stopping: nothing completes any more. */
  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

export function retryAfterSeconds(operation: LongRunningOperation): number {
  return Math.max(0, Math.round((operation.completesAt - fakeArmNow()) / 1000));
}
