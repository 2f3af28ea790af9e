/**
 * ARM's failures as RouterErrors. By the time an error reaches here the pipeline has retried what
 * can be retried (429, 5xx, network errors); what is left is terminal: PLATFORM_OPERATION_FAILED
 * carrying ARM's code and message and the operation that failed. Callers decide what a 404 means.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { redactedError, redactSecrets } from './secret-redaction.js';

export function armStatusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

export function isArmNotFound(error: unknown): boolean {
  return armStatusOf(error) === 404;
}

/**
 * `operation` names the ARM operation as the spec does (e.g. "WebApps_CreateOrUpdate"); `appName`
 * the app it was for. A RouterError passes through unchanged.
 */
export function armFailure(error: unknown, operation: string, appName?: string): RouterError {
  if (isRouterError(error)) return error;
  const target = appName === undefined ? '' : ` for the app "${appName}"`;
  if (!isRestError(error)) {
    return new RouterError('PLATFORM_OPERATION_FAILED', `${operation}${target} failed: ${redactSecrets(messageOf(error))}`, {
      cause: redactedError(error),
      details: { operation, ...(appName === undefined ? {} : { appName }) },
    });
  }
  const status = error.statusCode;
  const armCode = error.code;
  const message = redactSecrets(error.message);
  const details = { operation, ...(appName === undefined ? {} : { appName }), ...(status === undefined ? {} : { status }), ...(armCode === undefined ? {} : { armCode }) };
  if (status === undefined) {
    return new RouterError('PLATFORM_OPERATION_FAILED', `Azure Resource Manager could not be reached for ${operation}${target} (${armCode ?? 'network error'}): ${message}`, { cause: redactedError(error), details });
  }
  const retried = status === 429 || status >= 500 ? ', still after the retries' : '';
  const codePart = armCode === undefined ? '' : ` ${armCode}`;
  return new RouterError('PLATFORM_OPERATION_FAILED', `Azure Resource Manager refused ${operation}${target} (HTTP ${status}${codePart}${retried}): ${message}`, { cause: redactedError(error), details });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
