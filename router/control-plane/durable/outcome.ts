import { errorCatalogue, type ErrorCode } from '../../../shared/errors/error-catalogue.js';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';

/**
 * How activities and orchestrations hand back an expected failure: as data, with its stable code,
 * rather than as a thrown error whose code would be lost on the way through the durable engine.
 * Activities still throw what is worth retrying (storage unreachable, a bug); the orchestration's
 * retry policy then runs them again.
 */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorBody };

const retriedCodes: readonly ErrorCode[] = ['STORE_UNAVAILABLE', 'SHUTTING_DOWN', 'VERSION_MAP_CONFLICT'];

export async function runActivity<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (isRouterError(error) && !retriedCodes.includes(error.code)) return { ok: false, error: errorBodyOf(error) };
    throw error;
  }
}

function errorBodyOf(error: RouterError): ErrorBody {
  return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
}

export function routerErrorOf(body: ErrorBody): RouterError {
  const code = body.code in errorCatalogue ? body.code : 'INTERNAL';
  return new RouterError(code, body.message, body.details === undefined ? undefined : { details: { ...body.details } });
}

export function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}
