import { RouterError } from '../errors/router-error.js';
import { tryTimeoutOf } from './table-call-bounds.js';

/** The HTTP status of a failed Table storage call, if the service answered at all. */
export function storageStatusOf(error: unknown): number | undefined {
  const status = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps a failed Table storage call that is not an expected outcome (such as a 404 or an ETag
 * mismatch, which callers handle first) to a RouterError: unreachable or overloaded storage is
 * STORE_UNAVAILABLE, refused credentials are INVALID_CONFIGURATION, anything else INTERNAL.
 * The storage error is kept as the cause, never copied into the message shown to users.
 */
export function toStorageError(error: unknown, action: string): RouterError {
  if (error instanceof RouterError) return error;
  const timeoutMs = tryTimeoutOf(error);
  if (timeoutMs !== undefined) {
    return new RouterError('STORE_UNAVAILABLE', `Could not ${action}: the storage account did not answer within ${timeoutMs / 1000} s.`, {
      cause: error, details: { timeoutMs },
    });
  }
  const status = storageStatusOf(error);
  if (status === undefined || status >= 500 || status === 408 || status === 429) {
    const reason = status === undefined ? networkReason(error) : `it answered ${status}`;
    return new RouterError('STORE_UNAVAILABLE', `Could not ${action}: the storage account could not be reached (${reason}).`, {
      cause: error, details: status === undefined ? {} : { status },
    });
  }
  if (status === 401 || status === 403) {
    return new RouterError('INVALID_CONFIGURATION', `Could not ${action}: the storage account refused the credentials (${status}); check ROUTER_STORAGE.`, {
      cause: error, details: { status },
    });
  }
  return new RouterError('INTERNAL', `Could not ${action}: the storage account refused the request (${status}).`, { cause: error, details: { status } });
}

function networkReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : 'no response';
}
