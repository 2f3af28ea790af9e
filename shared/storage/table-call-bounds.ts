/**
 * Every Table storage call the router makes is bounded: each try gets at most `tryTimeoutMs` to be
 * answered (body included), and a try that timed out, found no connection or got a 408/5xx is
 * tried again at most `maxRetries` times, after an exponential pause of at most `maxRetryDelayMs`.
 * So a call ends within (maxRetries + 1) × tryTimeoutMs + the pauses: 6 + 0.5 + 6 = 12.5 s by
 * default, 6 s with `maxRetries: 0`. The SDK alone has no timeout and retries for minutes.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';
import { RestError, type PipelinePolicy } from '@azure/core-rest-pipeline';

export const tableCallBounds = Object.freeze({
  /** Above the 5 s a Table query may run on the service before it returns a continuation. */
  tryTimeoutMs: 6_000,
  maxRetries: 1,
  retryDelayMs: 250,
  maxRetryDelayMs: 1_000,
});

export interface BoundedTableClientOptions extends TableServiceClientOptions {
  /** Replaces tableCallBounds.tryTimeoutMs. */
  readonly tryTimeoutMs?: number | undefined;
}

/**
 * A try that storage did not answer in time: a RestError (RestError's constructor resets a subclass's
 * prototype) with the code the SDK's retry strategy retries, and the bound it exceeded.
 */
function tryTimeoutError(timeoutMs: number): RestError {
  return Object.assign(new RestError(`Table storage did not answer within ${timeoutMs} ms`, { code: 'ETIMEDOUT' }), { timeoutMs });
}

/** The bound a Table storage call exceeded, when it failed because its last try was not answered. */
export function tryTimeoutOf(error: unknown): number | undefined {
  const timeoutMs = (error as { timeoutMs?: unknown } | null)?.timeoutMs;
  return error instanceof RestError && error.code === 'ETIMEDOUT' && typeof timeoutMs === 'number' ? timeoutMs : undefined;
}

export function tryTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: 'routerTableTryTimeout',
    async sendRequest(request, next) {
      const callerSignal = request.abortSignal;
      const controller = new AbortController();
      const onCallerAbort = (): void => controller.abort();
      callerSignal?.addEventListener('abort', onCallerAbort);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (error) {
        if (timedOut && callerSignal?.aborted !== true) throw tryTimeoutError(timeoutMs);
        throw error;
      } finally {
        clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
        // The retry policy gives up on a request whose own signal is aborted: it must see the caller's again.
        request.abortSignal = callerSignal;
      }
    },
  };
}
