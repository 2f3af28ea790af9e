/**
 * Faults a test injects into the fake: failures of an operation (a 429 with Retry-After, a 5xx, a
 * 409...), slow operations, a deployment that fails, and site names taken elsewhere in Azure. The
 * same commands arrive over HTTP (`POST /__fake/faults`) from tests whose router runs in another
 * process.
 */
import { RouterError } from '../../../../shared/errors/router-error.js';
import { ArmError, type ErrorShape } from '../protocol/arm-error.js';

export interface FailOptions {
  /** 400–599. */
  readonly status: number;
  /** ARM's error code; default from the status (TooManyRequests, InternalServerError, ...). */
  readonly code?: string;
  readonly message?: string;
  /** How many calls fail before the operation works again (default 1; Infinity: until cleared). */
  readonly times?: number;
  /** Sent as Retry-After (seconds). */
  readonly retryAfterSeconds?: number;
  /** `pascal`: the unwrapped PascalCase body the live App Service sometimes sends. */
  readonly shape?: ErrorShape;
}

export interface FaultInjection {
  /** The next `times` calls of the operation fail with this error instead of running. */
  fail(operationId: string, options: FailOptions): void;
  /**
   * Makes the operation slow: a long-running operation (plan or site PUT) stays in progress this
   * long, a OneDeploy deployment waits this long before it starts, any other call is answered this
   * much later. 0 removes the delay.
   */
  delay(operationId: string, ms: number): void;
  /** The next OneDeploy deployment to the site fails with this message (its app keeps running). */
  failNextDeployment(siteName: string, message: string): void;
  /** The name is taken by a site elsewhere in Azure: not available, and creating it is a 409. */
  reserveSiteName(name: string): void;
  /** Removes every fault (reserved names stay: they are someone else's sites). */
  clear(): void;
}

/** A fault command as JSON, for `POST /__fake/faults`; `times: "always"` stands for Infinity. */
export type FaultCommand =
  | ({ readonly action: 'fail'; readonly operationId: string; readonly times?: number | 'always' } & Omit<FailOptions, 'times'>)
  | { readonly action: 'delay'; readonly operationId: string; readonly ms: number }
  | { readonly action: 'failNextDeployment'; readonly siteName: string; readonly message: string }
  | { readonly action: 'reserveSiteName'; readonly name: string }
  | { readonly action: 'clear' };

interface PendingFailure {
  readonly options: FailOptions;
  remaining: number;
}

const defaultCodes: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'AuthenticationFailed',
  403: 'AuthorizationFailed',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export class FaultBook implements FaultInjection {
  readonly #operationIds: ReadonlySet<string>;
  readonly #failures = new Map<string, PendingFailure[]>();
  readonly #delays = new Map<string, number>();
  readonly #deploymentFailures = new Map<string, string>();
  readonly #reservedNames = new Set<string>();

  /** `operationIds`: those the fake serves, so that a misspelt one is refused rather than never firing. */
  constructor(operationIds: Iterable<string>) {
    this.#operationIds = new Set(operationIds);
  }

  fail(operationId: string, options: FailOptions): void {
    this.#assertOperation(operationId);
    const { status } = options;
    if (!Number.isInteger(status) || status < 400 || status > 599) throw invalid(`A failure's status must be 400–599, not ${String(status)}.`);
    const times = options.times ?? 1;
    if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times >= 1))) throw invalid(`"times" must be a whole number of at least 1, or Infinity, not ${String(times)}.`);
    if (options.retryAfterSeconds !== undefined && !(Number.isInteger(options.retryAfterSeconds) && options.retryAfterSeconds >= 0)) {
      throw invalid(`"retryAfterSeconds" must be a whole number of seconds, not ${String(options.retryAfterSeconds)}.`);
    }
    if (options.shape !== undefined && options.shape !== 'wrapped' && options.shape !== 'pascal') throw invalid(`"shape" is "wrapped" or "pascal", not ${String(options.shape)}.`);
    const queue = this.#failures.get(operationId) ?? [];
    queue.push({ options, remaining: times });
    this.#failures.set(operationId, queue);
  }

  delay(operationId: string, ms: number): void {
    this.#assertOperation(operationId);
    if (!Number.isFinite(ms) || ms < 0) throw invalid(`A delay is a number of milliseconds of at least 0, not ${String(ms)}.`);
    if (ms === 0) this.#delays.delete(operationId);
    else this.#delays.set(operationId, ms);
  }

  failNextDeployment(siteName: string, message: string): void {
    if (typeof siteName !== 'string' || siteName === '') throw invalid('failNextDeployment needs the site\'s name.');
    if (typeof message !== 'string' || message === '') throw invalid('failNextDeployment needs the message the deployment fails with.');
    this.#deploymentFailures.set(siteName.toLowerCase(), message);
  }

  reserveSiteName(name: string): void {
    if (typeof name !== 'string' || name === '') throw invalid('reserveSiteName needs a name.');
    this.#reservedNames.add(name.toLowerCase());
  }

  clear(): void {
    this.#failures.clear();
    this.#delays.clear();
    this.#deploymentFailures.clear();
  }

  /** Runs a command sent over HTTP; a malformed one is a RouterError INVALID_REQUEST. */
  apply(command: unknown): void {
    if (typeof command !== 'object' || command === null) throw invalid('A fault command is a JSON object with an "action".');
    const entry = command as Record<string, unknown>;
    switch (entry['action']) {
      case 'fail': {
        const { action: _action, operationId, times, ...rest } = entry;
        this.fail(String(operationId), { ...(rest as unknown as FailOptions), ...(times === undefined ? {} : { times: times === 'always' ? Number.POSITIVE_INFINITY : (times as number) }) });
        return;
      }
      case 'delay':
        this.delay(String(entry['operationId']), entry['ms'] as number);
        return;
      case 'failNextDeployment':
        this.failNextDeployment(entry['siteName'] as string, entry['message'] as string);
        return;
      case 'reserveSiteName':
        this.reserveSiteName(entry['name'] as string);
        return;
      case 'clear':
        this.clear();
        return;
      default:
        throw invalid(`Unknown fault action ${JSON.stringify(entry['action'])}: use fail, delay, failNextDeployment, reserveSiteName or clear.`);
    }
  }

  /** The error the next call of the operation fails with, if a failure is pending (it is used up). */
  takeFailure(operationId: string): ArmError | undefined {
    const queue = this.#failures.get(operationId);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    if (queue.length === 0) this.#failures.delete(operationId);
    const { status, retryAfterSeconds, shape } = next.options;
    const code = next.options.code ?? defaultCodes[status] ?? 'Error';
    const message = next.options.message ?? `Injected fault: ${operationId} answers ${status} ${code}.`;
    return new ArmError(status, code, message, {
      ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
      ...(shape === undefined ? {} : { shape }),
    });
  }

  delayOf(operationId: string): number | undefined {
    return this.#delays.get(operationId);
  }

  /** The message the site's next deployment fails with, if one was asked for (it is used up). */
  takeDeploymentFailure(siteName: string): string | undefined {
    const key = siteName.toLowerCase();
    const message = this.#deploymentFailures.get(key);
    this.#deploymentFailures.delete(key);
    return message;
  }

  isReserved(siteName: string): boolean {
    return this.#reservedNames.has(siteName.toLowerCase());
  }

  #assertOperation(operationId: string): void {
    if (!this.#operationIds.has(operationId)) {
      throw invalid(`The fake ARM serves no operation "${operationId}"; it serves ${[...this.#operationIds].sort().join(', ')}.`);
    }
  }
}

function invalid(message: string): RouterError {
  return new RouterError('INVALID_REQUEST', message);
}
