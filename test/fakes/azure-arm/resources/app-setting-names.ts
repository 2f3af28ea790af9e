import { isRouterError } from '../../../../shared/errors/router-error.js';
import { assertSettings } from '../../../../deployer/platform/platform-input.js';
import { badRequest } from '../protocol/arm-error.js';

/** App setting names as Linux apps allow them (letters, digits, '_', '.'); a 400 names the setting, never its value. */
export function checkedSettings(settings: Record<string, string>): Record<string, string> {
  try {
    assertSettings(settings);
  } catch (error) {
    if (isRouterError(error)) throw badRequest(error.message);
    throw error;
  }
  return settings;
}
