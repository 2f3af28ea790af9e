/**
 * When a request that failed at the app may be sent again (once). A keep-alive connection the app
 * closes while idle (its keep-alive timeout, or a replaced app process ending its connections)
 * races with the next request written on it: the request fails with a reset before the app read
 * it. Such a request is safe to send again on a new connection, provided nothing of the answer
 * arrived and the request body, if any, was not read yet (it cannot be read twice). A failure on a
 * fresh connection is not retried: there the app did take the request and may have acted on it.
 */

export interface FailedAttempt {
  /** The error's code (undici's or the system's). */
  readonly code: string | undefined;
  /** The connection had carried earlier exchanges with the app. */
  readonly reusedConnection: boolean;
  /** Any of the app's answer arrived (an informational status counts). */
  readonly responseStarted: boolean;
  /** The client's request body has been (partly) read, so it cannot be sent again. */
  readonly bodyConsumed: boolean;
  /** How many times the request has been sent, this one included. */
  readonly attempts: number;
}

/** The codes of a connection closed or reset under a request. */
const connectionLostCodes: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function mayRetry(attempt: FailedAttempt): boolean {
  return attempt.attempts === 1
    && attempt.reusedConnection
    && !attempt.responseStarted
    && !attempt.bodyConsumed
    && attempt.code !== undefined && connectionLostCodes.has(attempt.code);
}
