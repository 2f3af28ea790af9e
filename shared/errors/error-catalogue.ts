/**
 * Every error the router returns to a user, with its HTTP status and a default message.
 * Codes are part of the public contract (../../README.md): add, never rename.
 */
export const errorCatalogue = {
  INVALID_VERSION: { status: 400, message: 'The version is not a valid semantic version (expected "1.2.3" or "1.2").' },
  INVALID_REQUEST: { status: 400, message: 'The request is not valid.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time; send it again.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than this route accepts.' },
  URL_TOO_LONG: { status: 414, message: 'A part of the URL is longer than the router accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This route does not accept a body of that content type.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the router accepts.' },
  UNAUTHORIZED: { status: 401, message: 'A valid admin key is required (Authorization: Bearer <key>).' },
  TOO_MANY_FAILED_AUTHENTICATIONS: { status: 429, message: 'Too many requests with a missing or wrong admin key came from this address; wait before trying again.' },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  VERSION_NOT_FOUND: { status: 404, message: 'No app is registered for that version.' },
  INSTANCE_NOT_FOUND: { status: 404, message: 'No orchestration instance has that id.' },
  INSTANCE_ID_CONFLICT: { status: 409, message: 'An instance with that id already exists in another version\'s app.' },
  INSTANCE_EXISTS: { status: 409, message: 'An orchestration instance with that id is already running; pick another id or wait until it finishes.' },
  INSTANCE_NOT_PURGEABLE: { status: 404, message: 'Nothing was purged: only finished instances (Completed, Failed, Terminated) of the app\'s own task hub can be purged.' },
  INSTANCE_NOT_RUNNING: { status: 410, message: 'The orchestration instance has already finished.' },
  VERSION_EXISTS: { status: 409, message: 'That version is already deployed.' },
  VERSION_DOWNGRADE: { status: 409, message: 'A newer version of that major.minor is already deployed.' },
  VERSION_STATE_CONFLICT: { status: 409, message: 'That version is not in a state that allows this.' },
  VERSION_MAP_CONFLICT: { status: 409, message: 'The version map changed while it was being updated; retry.' },
  ENTITY_NAME_CONFLICT: { status: 409, message: 'The release registers a durable entity that another version sharing its tracking store registers too; release it as a new major.minor or rename the entity.' },
  VERSION_DRAINING: { status: 410, message: 'That version is draining and takes no new work.' },
  VERSION_DECOMMISSIONED: { status: 410, message: 'That version has been decommissioned.' },
  NO_CURRENT_VERSION: { status: 503, message: 'No version is current yet: release one first.' },
  STORE_UNAVAILABLE: { status: 503, message: 'The storage account did not answer in time or could not be reached; retry shortly.', retryAfterSeconds: 5 },
  UPSTREAM_SATURATED: { status: 503, message: 'The app for that version has as many requests waiting as the router queues for it; retry shortly.', retryAfterSeconds: 1 },
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
  PLATFORM_HOST_ID_CLASH: { status: 409, message: 'The app name starts with the same 32 characters as another app of this router: on a shared storage account both would get one Functions host id (AZFD0004); choose a name that differs earlier.' },
  PLATFORM_OPERATION_FAILED: { status: 502, message: 'The platform could not complete the operation.' },
  APP_QUOTA_REACHED: { status: 409, message: 'The router runs as many apps as its quota allows; decommission drained versions first.' },
  APP_KEYS_UNAVAILABLE: { status: 503, message: 'The router does not hold the keys of that version\'s app yet; retry shortly.' },
  SECRET_UNREADABLE: { status: 500, message: 'A secret the router keeps could not be opened with its secrets key.' },
  PACKAGE_NOT_ALLOWED: { status: 403, message: 'The router may not read that package: use a path under its package directories, an https URL, or upload a zip.' },
  PACKAGE_URL_NOT_ALLOWED: { status: 400, message: 'The router may not download from that package URL: it downloads from the hosts in ROUTER_PACKAGE_HOSTS, at public addresses only.' },
  PACKAGE_INVALID: { status: 422, message: 'The release package is not a valid Functions app package.' },
  PACKAGE_TOO_LARGE: { status: 413, message: 'The release package is larger than the router accepts.' },
  PACKAGE_DEPENDENCIES_MISSING: { status: 422, message: 'The package does not ship dependencies its package.json declares: install them into its node_modules before packaging.' },
  PACKAGE_BUILD_FAILED: { status: 422, message: 'The app could not be built before packaging: fix its build (npm run build) and release again.' },
  PACKAGE_INSTALL_FAILED: { status: 422, message: 'The app\'s production dependencies could not be installed before packaging: install them yourself and release again.' },
  PACKAGE_VERSION_MISMATCH: { status: 422, message: 'The package.json version of the package differs from the version being released.' },
  RELEASE_NOT_FOUND: { status: 404, message: 'No release has that id.' },
  RELEASE_IN_PROGRESS: { status: 409, message: 'A release of that major.minor is already in progress; wait for it to finish.' },
  STRATEGY_NOT_AVAILABLE: { status: 400, message: 'That release strategy is not available yet: use app-routing.' },
  STRATEGY_CONFLICT: { status: 409, message: 'A patch must be released with the strategy its major.minor was released with.' },
  CONTROL_PLANE_UNAVAILABLE: { status: 503, message: 'The control plane could not be reached: releases and version changes cannot be made now (routing is not affected).' },
  CONTROL_PLANE_TIMEOUT: { status: 504, message: 'The control plane did not answer in time: the change may or may not have been made; check before retrying (routing is not affected).' },
  PACKAGE_DOWNLOAD_FAILED: { status: 502, message: 'The release package could not be downloaded.' },
  VERSION_NAMES_INVALID: { status: 400, message: 'The versioned-names migration cannot run with these arguments.' },
  VERSION_NAMES_UNSAFE: { status: 422, message: 'The app has code the versioned-names migration cannot rewrite safely: write function names as string literals or constants, and load modules with static imports.' },
  VERSION_NAMES_CONFLICT: { status: 409, message: 'Two functions of the migrated app would have one name; rename one of them.' },
  VERSION_NAMES_DEPENDENCY_CONFLICT: { status: 409, message: 'Two versions in the migrated app need incompatible ranges of one npm dependency; they share one node_modules.' },
  WAIT_TIMEOUT: { status: 504, message: 'The operation had not ended when the wait for it ran out; it goes on in the router.' },
  INTERNAL: { status: 500, message: 'An internal error occurred.' },
} as const satisfies Record<string, CatalogueEntry>;

interface CatalogueEntry {
  readonly status: number;
  readonly message: string;
  /** Sent as Retry-After: the condition is expected to pass, and a retry sooner only adds load. */
  readonly retryAfterSeconds?: number;
}

export type ErrorCode = keyof typeof errorCatalogue;

export function retryAfterSecondsOf(code: ErrorCode): number | undefined {
  const entry: CatalogueEntry = errorCatalogue[code];
  return entry.retryAfterSeconds;
}
