/**
 * The services the control plane's functions share in its process: the stores, the platform
 * (whose apps are resumed when the control plane starts: locally they are its child processes)
 * and package intake. Created once from the app's settings.
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { TableAppKeyStore } from '../../../shared/stores/table-app-key-store.js';
import { TableVersionMapStore } from '../../../shared/stores/table-version-map-store.js';
import { TrackingStores } from '../../../shared/tracking-store/tracking-stores.js';
import type { Platform } from '../../../deployer/platform/platform.js';
import { AzurePlatform } from '../../../deployer/platform/azure/azure-platform.js';
import { LocalPlatform, type ResumeReport } from '../../../deployer/platform/local/local-platform.js';
import { withRouterBlobEndpoint } from '../../app-configuration/app-settings.js';
import { PackageIntake } from '../../releases/package/package-intake.js';
import { readControlPlaneSettings, type ControlPlaneSettings } from '../control-plane-settings.js';
import { BlobKeptPackageMirror } from '../packages/blob-kept-package-mirror.js';
import { KeptPackages } from '../packages/kept-packages.js';
import { reconcilePlatform } from '../reconciliation/platform-reconciliation.js';
import { TableReleaseSettingsStore } from '../release-settings/table-release-settings-store.js';
import { AppRecords } from '../storage/app-records.js';
import { ControlPlaneTable } from '../storage/control-plane-table.js';
import { ReleaseClaims } from '../storage/release-claims.js';

export class ControlPlaneRuntime {
  readonly settings: ControlPlaneSettings;
  readonly logger: Logger;
  readonly store: TableVersionMapStore;
  /** The apps' keys, sealed, for the front doors. */
  readonly appKeys: TableAppKeyStore;
  /** Each running release's app settings, sealed: its orchestration's history has only their names. */
  readonly releaseSettings: TableReleaseSettingsStore;
  readonly tracking: TrackingStores;
  readonly claims: ReleaseClaims;
  readonly appRecords: AppRecords;
  readonly packages: KeptPackages;
  readonly intake: PackageIntake;
  readonly #platform: Platform;
  /** The local platform runs the apps as this process's children: they stop and resume with it. */
  readonly #local: LocalPlatform | undefined;
  #resumed: Promise<void> | undefined;

  constructor(settings: ControlPlaneSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    this.store = new TableVersionMapStore(settings.storage);
    this.appKeys = new TableAppKeyStore(settings.storage, { secretsKey: settings.secretsKey });
    this.releaseSettings = new TableReleaseSettingsStore(settings.storage, { secretsKey: settings.secretsKey });
    this.tracking = new TrackingStores(settings.storage, { prefix: settings.trackingStorePrefix, versionMaps: this.store });
    const table = new ControlPlaneTable(settings.storage);
    this.claims = new ReleaseClaims(table);
    this.appRecords = new AppRecords(table);
    this.intake = new PackageIntake({
      packageDirectories: settings.packageDirs,
      stagingDir: path.join(settings.dataDir, 'staging'),
      packageHosts: settings.packageHosts,
      loopbackHosts: settings.packageTestLoopbackHosts,
    });
    const platform = settings.platform;
    // On Azure each instance has its own disk: a release's steps may run on one that did not take its package in.
    this.packages = new KeptPackages({
      root: path.join(settings.dataDir, 'packages'),
      limits: this.intake.limits,
      ...(platform.kind === 'azure' ? {
        mirror: new BlobKeptPackageMirror({ ...platform.azure.packageStorage, routerId: settings.routerId, logger: logger.child({ component: 'kept-packages' }) }),
      } : {}),
    });
    const platformLog = logger.child({ component: 'platform' });
    if (platform.kind === 'azure') {
      this.#platform = new AzurePlatform({ ...platform.azure, owner: settings.routerId, logger: platformLog });
      this.#local = undefined;
    } else {
      this.#local = new LocalPlatform({
        root: platform.root,
        owner: settings.routerId,
        ...(platform.ports === undefined ? {} : { ports: platform.ports }),
        logger: platformLog,
        onAppLog: (appName, line) => logAppLine(platformLog, appName, line),
      });
      this.#platform = this.#local;
    }
  }

  /**
   * Restarts the apps this router runs (locally, after a restart of the control plane they are
   * gone), then squares the version map with the platform (see platform-reconciliation.ts).
   */
  start(): Promise<void> {
    this.#resumed ??= this.#resumeLocalApps().then(
      async (report) => {
        if (report.started.length > 0) this.logger.info({ apps: report.started }, 'resumed the apps of this router');
        for (const failure of report.failed) this.logger.error({ app: failure.appName, code: failure.error.code, err: failure.error.message }, 'an app could not be resumed');
        await this.#reconcile();
      },
      (error: unknown) => {
        this.#resumed = undefined;
        throw error;
      },
    );
    return this.#resumed;
  }

  async #resumeLocalApps(): Promise<ResumeReport> {
    if (this.#local === undefined) return { started: [], failed: [] };
    const storage = this.settings.storage;
    const revised = await this.#local.reviseStoppedAppSettings((settings) => withRouterBlobEndpoint(settings, storage));
    if (revised.length > 0) this.logger.info({ apps: revised }, 'gave apps released before the embedded Azurite ran its Blob service its endpoint, for their large durable values');
    return this.#local.resume();
  }

  /** Never fails the start: what it cannot do, it reports, and the next start tries again. */
  async #reconcile(): Promise<void> {
    try {
      const { map, etag } = await this.store.read();
      const report = await reconcilePlatform({
        map, mapRecorded: etag !== undefined, platform: this.#platform, claims: this.claims, appKeys: this.appKeys, forget: (appName) => this.appRecords.remove(appName),
      });
      for (const { routeKey, app } of report.missing) {
        this.logger.error({ routeKey, app }, 'the version map routes to an app the platform does not have: that version cannot serve; roll back to another version or release it again');
      }
      if (report.deleted.length > 0) this.logger.warn({ apps: report.deleted }, 'deleted apps of this router that no version names and that run no code (left by releases that were cut off)');
      if (report.unnamed.length > 0) {
        this.logger.warn({ apps: report.unnamed }, 'apps of this router (by their tags) that no version names: left alone; if no other control plane uses this router id, decommission them by hand');
      }
      if (report.claimed.length > 0) this.logger.info({ apps: report.claimed }, 'apps that no version names yet belong to releases in progress');
      for (const failure of report.failures) this.logger.error({ failure }, 'reconciling the platform with the version map');
    } catch (error) {
      this.logger.error({ err: error }, 'the version map could not be reconciled with the platform; the next start tries again');
    }
  }

  /** The platform, once the apps it had running are running again. */
  async platform(): Promise<Platform> {
    await this.start();
    return this.#platform;
  }

  /** Stops the app processes (they keep their records and come back at the next start). */
  stop(): Promise<void> {
    return this.#local?.stop() ?? Promise.resolve();
  }
}

/** An app's warnings and errors show at their level; the rest of its output is debugging detail. */
function logAppLine(logger: Logger, appName: string, line: string): void {
  const level = /^\{"level":(\d+)/.exec(line)?.[1];
  if (level !== undefined && Number(level) >= 50) logger.error({ app: appName, line }, 'an app logged an error');
  else if (level !== undefined && Number(level) >= 40) logger.warn({ app: appName, line }, 'an app logged a warning');
  else logger.debug({ app: appName }, line);
}

let runtime: ControlPlaneRuntime | undefined;

/** The process-wide runtime, created from the environment (the app's settings) on first use. */
export function controlPlaneRuntime(): ControlPlaneRuntime {
  runtime ??= new ControlPlaneRuntime(
    readControlPlaneSettings(process.env),
    // Synchronous, like the host's: an async flush at exit retries a broken pipe forever when the parent is gone.
    pino({ name: 'control-plane', level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination({ dest: 2, sync: true })),
  );
  return runtime;
}
