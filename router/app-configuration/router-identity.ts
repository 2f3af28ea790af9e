import { RouterError } from '../../shared/errors/router-error.js';

/**
 * Which router owns an app. It goes into app names and task hub names, so that two routers that
 * share a subscription (or a storage account) never take each other's apps or queues.
 */
export const defaultRouterId = 'local';

const routerIdPattern = /^[a-z][a-z0-9]{0,15}$/;

export function parseRouterId(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return defaultRouterId;
  const id = value.trim();
  if (!routerIdPattern.test(id)) {
    throw new RouterError(
      'INVALID_CONFIGURATION',
      `The router id "${id.slice(0, 40)}" is not valid: use 1 to 16 lower-case letters and digits, starting with a letter (it becomes part of app and task hub names).`,
    );
  }
  return id;
}
