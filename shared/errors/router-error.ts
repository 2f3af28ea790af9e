import { errorCatalogue, type ErrorCode } from './error-catalogue.js';

/** An error with a stable code from the catalogue; `details` is safe to show a user (never secrets). */
export class RouterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message ?? errorCatalogue[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RouterError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = options?.details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isRouterError(value: unknown, code?: ErrorCode): value is RouterError {
  return value instanceof RouterError && (code === undefined || value.code === code);
}
