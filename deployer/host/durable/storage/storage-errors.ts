/** How the engine tells storage failures apart: a lost race, a value too big to store, or anything else. */

/** Another writer checkpointed the instance first (the sentinel's ETag moved on, or it already existed). */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
}

/** Table storage refused a value for its size (64 KiB per property, 1 MiB per entity, 4 MiB per batch). */
export class ValueTooLargeError extends Error {
  override readonly name = 'ValueTooLargeError';
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function isTooLarge(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return statusCodeOf(error) === 400 && typeof code === 'string'
    && ['PropertyValueTooLarge', 'EntityTooLarge', 'RequestBodyTooLarge'].includes(code);
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

export function isConflict(error: unknown): boolean {
  const status = statusCodeOf(error);
  return status === 409 || status === 412;
}
