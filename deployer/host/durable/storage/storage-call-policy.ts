/**
 * Every storage call the engine makes is bounded: each attempt has a timeout, transient failures
 * (timeouts, 408, 429, 500, 502, 503, 504, dropped or refused connections) are retried with
 * exponential backoff, and the whole call gives up within `totalMs`, so that a request waiting
 * on it (an orchestration start through an HTTP trigger) fails before the front door's 30 s
 * upstream timeout instead of taking effect after the client was told it timed out.
 * Used by the Table REST writer, by the SDK clients (as a pipeline policy) and for blobs.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import type { TableServiceClientOptions } from '@azure/data-tables';

export interface StorageCallLimits {
  /** One attempt's timeout. */
  readonly attemptMs: number;
  /** The whole call, retries and backoff included. */
  readonly totalMs: number;
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const storageCallLimits: StorageCallLimits = { attemptMs: 5_000, totalMs: 15_000, firstBackoffMs: 200, maxBackoffMs: 2_000 };

/** Storage did not answer within the call's bounds; the last attempt's failure is the cause. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/** One attempt ran out of time. */
export class StorageAttemptTimeoutError extends Error {
  override readonly name = 'StorageAttemptTimeoutError';
  readonly code = 'STORAGE_ATTEMPT_TIMEOUT';
}

const transientStatuses = new Set([408, 429, 500, 502, 503, 504]);
const transientCodes = new Set([
  'STORAGE_ATTEMPT_TIMEOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET',
]);

export function isTransientStorageFailure(error: unknown): boolean {
  if (error instanceof StorageAttemptTimeoutError) return true;
  const { statusCode, status, code, cause } = (error ?? {}) as { statusCode?: unknown; status?: unknown; code?: unknown; cause?: unknown };
  const httpStatus = typeof statusCode === 'number' ? statusCode : typeof status === 'number' ? status : undefined;
  if (httpStatus !== undefined && transientStatuses.has(httpStatus)) return true;
  if (typeof code === 'string' && transientCodes.has(code)) return true;
  if (error instanceof Error && /socket hang up/i.test(error.message)) return true;
  return cause !== undefined && cause !== error && isTransientStorageFailure(cause);
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the budget is spent. `attempt` gets a signal
 * that aborts when its own timeout passes, and must throw for a transient answer it wants retried.
 */
export async function withStorageRetries<T>(
  what: string,
  attempt: (signal: AbortSignal) => Promise<T>,
  limits: StorageCallLimits = storageCallLimits,
): Promise<T> {
  const deadline = Date.now() + limits.totalMs;
  for (let tries = 1; ; tries++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new StorageAttemptTimeoutError(`Storage did not answer ${what} within ${limits.attemptMs} ms.`)),
      Math.max(1, Math.min(limits.attemptMs, deadline - Date.now())));
    try {
      return await attempt(controller.signal);
    } catch (error) {
      const failure = controller.signal.aborted ? controller.signal.reason as Error : error;
      if (!isTransientStorageFailure(failure)) throw error;
      const backoff = Math.min(limits.maxBackoffMs, limits.firstBackoffMs * 2 ** (tries - 1)) * (0.5 + Math.random() / 2);
      if (Date.now() + backoff >= deadline) {
        throw new StorageUnavailableError(
          `Storage did not answer ${what} within ${Math.round(limits.totalMs / 1000)} s (${tries} attempts): ${(failure as Error).message ?? String(failure)}`,
          { cause: failure },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The same bounds for the Table SDK: its own retries are off, this policy retries instead. */
function boundedRetryPolicy(limits: StorageCallLimits): PipelinePolicy {
  return {
    name: 'durableEngineBoundedRetry',
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const callerSignal = request.abortSignal;
      try {
        return await withStorageRetries(`${request.method} ${new URL(request.url).pathname}`, async (signal) => {
          request.abortSignal = callerSignal === undefined ? signal : AbortSignal.any([callerSignal as AbortSignal, signal]);
          const response = await next(request);
          if (transientStatuses.has(response.status)) {
            throw Object.assign(new Error(`Table storage answered ${response.status}`), { statusCode: response.status });
          }
          return response;
        }, limits);
      } finally {
        request.abortSignal = callerSignal;
      }
    },
  };
}

/** Options for every Table SDK client of the engine. */
export function boundedTableClientOptions(limits: StorageCallLimits = storageCallLimits): TableServiceClientOptions {
  return { retryOptions: { maxRetries: 0 }, additionalPolicies: [{ policy: boundedRetryPolicy(limits), position: 'perCall' }] };
}
