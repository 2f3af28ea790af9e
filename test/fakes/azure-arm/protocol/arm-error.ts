/**
 * An error the fake ARM answers with, in one of the two shapes clients meet: the `{ error: { code,
 * message } }` envelope of the spec (`wrapped`), or the PascalCase unwrapped body the live App
 * Service sometimes sends (`pascal`: `{ Code, Message, Target, Details, Innererror }`, seen in
 * Azure/azure-rest-api-specs#14557).
 */
export type ErrorShape = 'wrapped' | 'pascal';

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra headers, e.g. Retry-After on a 429. */
  readonly headers: Readonly<Record<string, string>>;
  /** The shape this error insists on (a fault's choice); otherwise ARM's own errors are wrapped and the provider's take its shape. */
  readonly shape: ErrorShape | undefined;
  /** Raised by ARM itself (authentication, api-version, subscription, resource group, request content) rather than by the resource provider. */
  readonly fromArm: boolean;

  constructor(status: number, code: string, message: string, options: { headers?: Record<string, string>; shape?: ErrorShape; fromArm?: boolean } = {}) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.shape = options.shape;
    this.fromArm = options.fromArm ?? false;
  }
}

/** An error ARM answers itself, before any resource provider sees the request: always in the `{ error }` envelope. */
export function armLevelError(status: number, code: string, message: string, headers?: Record<string, string>): ArmError {
  return new ArmError(status, code, message, { fromArm: true, ...(headers === undefined ? {} : { headers }) });
}

export function errorBody(error: ArmError, shape: ErrorShape): Record<string, unknown> {
  if (shape === 'wrapped') return { error: { code: error.code, message: error.message } };
  return {
    Code: error.code,
    Message: error.message,
    Target: null,
    Details: [{ Message: error.message }, { Code: error.code }, { ErrorEntity: { Code: error.code, Message: error.message } }],
    Innererror: null,
  };
}

export const badRequest = (message: string, code = 'BadRequest'): ArmError => new ArmError(400, code, message);
export const conflict = (message: string, code = 'Conflict'): ArmError => new ArmError(409, code, message);
