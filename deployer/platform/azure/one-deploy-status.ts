/**
 * Reads an ARM OneDeploy status (`GET {site}/extensions/onedeploy`, or the PUT's answer). The spec
 * types it as an untyped object wrapping Kudu's deployment status, so both the ARM-wrapped form
 * (`{ properties: { ... } }`) and the bare one are read: `provisioningState` (Succeeded / Failed /
 * Canceled / in progress), Kudu's numeric `status` (3 failed, 4 success, 0-2 under way) or a status
 * word, `complete`, and the service's message (`status_text`, `message`, `error.message`). Pure.
 */

export type OneDeployStatus =
  | { readonly phase: 'in-progress'; readonly id: string | undefined }
  | { readonly phase: 'succeeded'; readonly id: string | undefined }
  | { readonly phase: 'failed'; readonly id: string | undefined; readonly message: string };

const kuduFailed = 3;
const kuduSucceeded = 4;
const kuduPartialSuccess = 6;

export function parseOneDeployStatus(body: unknown): OneDeployStatus {
  const outer = isObject(body) ? body : {};
  const inner = isObject(outer['properties']) ? outer['properties'] : outer;
  const id = text(inner['id']) ?? text(inner['deployment_id']) ?? text(inner['deploymentId']);
  const state = (text(inner['provisioningState']) ?? text(outer['provisioningState']))?.toLowerCase();
  const status = inner['status'];
  const statusWord = typeof status === 'string' ? status.toLowerCase() : undefined;
  const failed = state === 'failed' || state === 'canceled' || status === kuduFailed || status === kuduPartialSuccess
    || (statusWord !== undefined && /fail|cancel|conflict/.test(statusWord));
  if (failed) return { phase: 'failed', id, message: messageOf(inner) ?? 'The service gave no reason.' };
  const succeeded = state === 'succeeded' || status === kuduSucceeded || (statusWord !== undefined && /^(success|succeeded|runtimesuccessful)$/.test(statusWord))
    || (inner['complete'] === true && state === undefined && typeof status !== 'number' && statusWord === undefined);
  return succeeded ? { phase: 'succeeded', id } : { phase: 'in-progress', id };
}

/** In Kudu's shape (a numeric status) `message` is the deployment's own description, not a reason. */
function messageOf(status: Record<string, unknown>): string | undefined {
  const error = status['error'];
  const reason = text(status['status_text']) ?? text(status['statusText']) ?? (isObject(error) ? text(error['message']) : undefined) ?? text(status['errors'])
    ?? (typeof status['status'] === 'number' ? undefined : text(status['message']));
  if (reason !== undefined) return reason;
  const log = text(status['log_url']);
  return log === undefined ? undefined : `The service gave no reason; its deployment log is at ${log}.`;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (Array.isArray(value)) {
    const joined = value.map((item) => (typeof item === 'string' ? item : isObject(item) ? text(item['message']) ?? '' : '')).filter((item) => item !== '').join('; ');
    return joined === '' ? undefined : joined;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
