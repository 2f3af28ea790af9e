/**
 * Every error the router returns to a user, with its HTTP status and a default message.
 * Codes are part of the public contract (../../README.md): add, never rename.
 */
export const errorCatalogue = {
  INVALID_VERSION: { status: 400, message: 'The version is not a valid semantic version (expected "1.2.3" or "1.2").' },
  INVALID_REQUEST: { status: 400, message: 'The request is not valid.' },
  UNAUTHORIZED: { status: 401, message: 'A valid admin key is required (Authorization: Bearer <key>).' },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  VERSION_NOT_FOUND: { status: 404, message: 'No app is registered for that version.' },
  INSTANCE_NOT_FOUND: { status: 404, message: 'No orchestration instance has that id.' },
  INSTANCE_ID_CONFLICT: { status: 409, message: 'An instance with that id already exists in another version\'s app.' },
  INSTANCE_EXISTS: { status: 409, message: 'An orchestration instance with that id is already running; pick another id or wait until it finishes.' },
  INSTANCE_NOT_RUNNING: { status: 410, message: 'The orchestration instance has already finished.' },
  VERSION_EXISTS: { status: 409, message: 'That version is already deployed.' },
  VERSION_DOWNGRADE: { status: 409, message: 'A newer version of that major.minor is already deployed.' },
  VERSION_STATE_CONFLICT: { status: 409, message: 'That version is not in a state that allows this.' },
  VERSION_MAP_CONFLICT: { status: 409, message: 'The version map changed while it was being updated; retry.' },
  VERSION_DRAINING: { status: 410, message: 'That version is draining and takes no new work.' },
  VERSION_DECOMMISSIONED: { status: 410, message: 'That version has been decommissioned.' },
  NO_CURRENT_VERSION: { status: 503, message: 'No version is current yet: release one first.' },
  STORE_UNAVAILABLE: { status: 503, message: 'The storage account could not be reached.' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'The app for that version could not be reached.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'The app for that version did not answer in time.' },
  SHUTTING_DOWN: { status: 503, message: 'The router is shutting down; retry the request.' },
  INVALID_CONFIGURATION: { status: 500, message: 'The configuration is not valid.' },
  APP_LOAD_FAILED: { status: 500, message: 'The Functions app could not be loaded.' },
  FUNCTION_NOT_FOUND: { status: 404, message: 'The app has no function by that name.' },
  APP_START_FAILED: { status: 502, message: 'The Function App\'s host did not start; its output says why.' },
  PLATFORM_APP_NOT_FOUND: { status: 404, message: 'The router manages no Function App by that name.' },
  PLATFORM_APP_NAME_TAKEN: { status: 409, message: 'A Function App by that name exists but this router does not own it; choose another name.' },
  PLATFORM_DEPLOY_FAILED: { status: 502, message: 'The package was deployed but the app did not start.' },
  PLATFORM_OPERATION_FAILED: { status: 502, message: 'The platform could not complete the operation.' },
  PACKAGE_NOT_ALLOWED: { status: 403, message: 'The router may not read that package: use a path under its package directories, an https URL, or upload a zip.' },
  PACKAGE_INVALID: { status: 422, message: 'The release package is not a valid Functions app package.' },
  PACKAGE_TOO_LARGE: { status: 413, message: 'The release package is larger than the router accepts.' },
  PACKAGE_VERSION_MISMATCH: { status: 422, message: 'The package.json version of the package differs from the version being released.' },
  PACKAGE_DOWNLOAD_FAILED: { status: 502, message: 'The release package could not be downloaded.' },
  INTERNAL: { status: 500, message: 'An internal error occurred.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
