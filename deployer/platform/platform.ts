/**
 * The Platform port: what the router's release, drain and decommission orchestrations need from
 * wherever Function Apps run. Adapters: deployer/platform/local (a process of the local host per
 * app) and deployer/platform/azure (ARM). Every adapter passes test/deployer/platform/platform-contract.ts.
 *
 * Shaped by the slower of the two, Azure: every operation is idempotent, so an orchestration that
 * resumes after a crash may repeat any step; apps are named by the caller (the name is the
 * idempotency key, as an ARM resource name is) and found again by listing the apps the router owns.
 * Errors are RouterErrors: PLATFORM_APP_NOT_FOUND, PLATFORM_APP_NAME_TAKEN, PLATFORM_DEPLOY_FAILED,
 * PLATFORM_OPERATION_FAILED, INVALID_REQUEST (a malformed name or tag).
 */
import type { AppKeys } from '../../shared/secrets/app-keys.js';
import type { RouteKey } from '../../shared/versions/version-map.js';

export type { AppKeys };

export interface Platform {
  /**
   * Creates the app, or returns it as it is when this router already owns an app of that name
   * (its tags are not rewritten). A name held by something this router does not own, or owned for
   * another route key, is PLATFORM_APP_NAME_TAKEN. A new app runs no code until `deploy`.
   */
  provision(request: ProvisionRequest): Promise<PlatformApp>;

  /**
   * Replaces the app's settings with exactly `settings` (declarative, like ARM's
   * updateApplicationSettings: a setting left out is removed; settings the platform itself needs,
   * such as the worker runtime, are the adapter's and stay). Settings reach the app as environment
   * variables; a running app restarts to pick them up, unless the list is the one it already has
   * (a repeated step changes nothing). Values may be secrets: adapters never log
   * them, and `PlatformApp` only ever shows their names.
   */
  configure(appName: string, settings: AppSettings): Promise<void>;

  /**
   * Replaces the app's code with the package and (re)starts it. Resolves once the platform has
   * started the new code; whether the app is healthy is `health`'s question. When the new code
   * cannot start, it rejects with PLATFORM_DEPLOY_FAILED naming why; the local platform keeps
   * the previous package running (Azure keeps the failed deployment).
   */
  deploy(appName: string, deployment: DeploymentPackage): Promise<PlatformApp>;

  /** One bounded probe, never a wait: poll it (see `waitForHealthy`) to wait for an app. */
  health(appName: string): Promise<AppHealth>;

  /** Stops and removes the app and everything the platform holds for it. A missing app is fine. */
  delete(appName: string): Promise<void>;

  /** The app of that name if this router owns it. */
  get(appName: string): Promise<PlatformApp | undefined>;

  /** Every app this router owns (found by the ownership tag, as on Azure), by name. */
  list(): Promise<PlatformApp[]>;

  /**
   * The keys a caller of the app presents (as the Functions host checks them): the host's
   * `default` function key and the durable extension's system key. Secrets: never logged. On
   * Azure the system key exists once the app has run its durable extension (after a deploy).
   */
  keys(appName: string): Promise<AppKeys>;
}

export interface ProvisionRequest {
  /** Lower-case letters, digits and inner hyphens, 2–60 characters (Azure's rule, case-folded). */
  readonly appName: string;
  readonly routeKey: RouteKey;
  /** The full version the app is provisioned for; later patch deploys do not change it. */
  readonly version: string;
  /** Extra tags: names of letters, digits, `_`, `.`, `-` (up to 64), values up to 256 characters. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Setting name → value. Names: letters, digits, `_` and `.` (what Azure allows on Linux). */
export type AppSettings = Readonly<Record<string, string>>;

export interface DeploymentPackage {
  /** A directory holding the app (host.json and package.json at its root) or a zip of it. */
  readonly path: string;
  /** The package's content hash (package intake computes it); recorded as what is deployed. */
  readonly sha256: string;
}

/**
 * - `not-deployed`: provisioned, no code yet.
 * - `running`: the platform runs the app's code (which may still be starting: ask `health`).
 * - `stopped`: code is deployed but nothing runs it (the local platform after `stop()` and before
 *   `resume()`, or after the app's process exited on its own).
 */
export type PlatformAppState = 'not-deployed' | 'running' | 'stopped';

export interface PlatformApp {
  readonly name: string;
  /** Base URL that serves the app, stable for the app's lifetime (it goes in the version map). */
  readonly url: string;
  readonly routeKey: RouteKey;
  readonly version: string;
  /** The caller's tags, without the ones the platform itself keeps (`reservedTagNames`). */
  readonly tags: Readonly<Record<string, string>>;
  readonly state: PlatformAppState;
  /** Names only: values are secrets. */
  readonly settingNames: readonly string[];
  readonly deployment: { readonly sha256: string; readonly deployedAt: string } | undefined;
  readonly createdAt: string;
}

export interface AppHealth {
  /** The app answers and at least one function is registered. */
  readonly healthy: boolean;
  readonly state: PlatformAppState;
  /** Names of the functions the host registered (disabled ones excluded). */
  readonly functions: readonly string[];
  /** The durable entities among them (functions with an entity trigger), lower case as entity ids carry them. */
  readonly entities: readonly string[];
  /** A sentence for an operator: why it is unhealthy, or what it runs. */
  readonly detail: string;
}

/**
 * Tags the platform writes itself (ownership, for `list`; the route key and version, for people
 * looking at the apps; when the app was created and what is deployed, kept as tags on Azure); a
 * caller's tag by one of these names is refused.
 */
export const reservedTagNames = ['managed-by', 'router-owner', 'route-key', 'version', 'created-at', 'deployed-package', 'deployed-at'] as const;
