/**
 * `start --backends <file>`: versions the quick start wants deployed, released through the control
 * plane's API like any release (staged as the version the file names), unless they are deployed
 * already. All are released without promotion, so every one stays active; then the file's
 * `current` (or the newest) is made current, unless the current version changed meanwhile by
 * anything but seeding's own releases: seeding never undoes someone else's release or rollback.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { request } from 'undici';
import { errorCatalogue, type ErrorCode } from '../../shared/errors/error-catalogue.js';
import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../shared/stores/version-map-store.js';
import { compareVersions, routeKeyOf } from '../../shared/versions/semantic-version.js';
import { findEntry, makeCurrent } from '../../shared/versions/version-map-operations.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import type { BackendsFile } from './backends-file.js';
import { stageAppAsVersion } from './staged-app.js';

export interface SeedOptions {
  /** The control plane's API: seeding runs before the front door takes requests. */
  readonly controlPlane: { readonly url: string; readonly key: string };
  readonly store: VersionMapStore;
  /** A package directory of the control plane: staged copies go here. */
  readonly stagingDir: string;
  readonly backends: BackendsFile;
  readonly logger: Logger;
  readonly releaseTimeoutMs?: number;
}

/** Answers the versions released now (none when all were deployed already). */
export async function seedReleases(options: SeedOptions): Promise<string[]> {
  const { map } = await options.store.read();
  const deployed = new Set(map.versions.filter((entry) => entry.state !== 'failed').flatMap((entry) => entry.versions));
  const released: string[] = [];
  const wanted = [...options.backends.backends].sort((a, b) => compareVersions(a.version, b.version));
  for (const backend of wanted) {
    if (!('appDir' in backend)) {
      throw new RouterError('INVALID_CONFIGURATION', `The backends file lists ${backend.version} at ${backend.url}: apps already running elsewhere are not supported any more; the control plane releases every app itself (give "appDir").`);
    }
    if (deployed.has(backend.version)) continue;
    const staged = path.join(options.stagingDir, backend.version);
    await stageAppAsVersion(backend.appDir, staged, backend.version);
    options.logger.info({ version: backend.version, appDir: backend.appDir }, 'releasing a version of the backends file');
    await release(options, { version: backend.version, package: staged, promote: false });
    released.push(backend.version);
  }
  if (released.length > 0) {
    const current = options.backends.current ?? routeKeyOf(wanted.at(-1)!.version);
    await makeCurrentUnlessChanged(options, current, map.current, new Set(released.map(routeKeyOf)));
  }
  return released;
}

/**
 * Makes `routeKey` current if the current version is still the one seeding began with, or one a
 * release of seeding's made current (the first release of an empty map becomes current); the
 * write presents the etag of what was checked, so a change in between is seen and checked again.
 */
async function makeCurrentUnlessChanged(options: SeedOptions, routeKey: RouteKey, before: RouteKey | null, seeded: ReadonlySet<RouteKey>): Promise<void> {
  for (;;) {
    const snapshot = await options.store.read();
    const now = snapshot.map.current;
    if (now === routeKey) return;
    if (now !== before && !(before === null && now !== null && seeded.has(now))) {
      options.logger.warn({ wanted: routeKey, current: now }, 'the current version changed while the backends file was released; it is left as it is');
      return;
    }
    if (findEntry(snapshot.map, routeKey)?.state !== 'active') {
      throw new RouterError('VERSION_STATE_CONFLICT', `The backends file makes ${routeKey} current, but ${routeKey} is not active; release it, or name another version as "current".`);
    }
    try {
      await options.store.write(snapshot, makeCurrent(snapshot.map, routeKey));
      return;
    } catch (error) {
      if (!isRouterError(error, 'VERSION_MAP_CONFLICT')) throw error;
    }
  }
}

async function release(options: SeedOptions, body: { version: string; package: string; promote: boolean }): Promise<void> {
  const { id } = (await call(options, 'POST', '/api/releases', body)) as { id: string };
  const deadline = performance.now() + (options.releaseTimeoutMs ?? 120_000);
  for (;;) {
    const status = (await call(options, 'GET', `/api/releases/${encodeURIComponent(id)}`)) as { state: string; error?: { code: string; message: string } };
    if (status.state === 'succeeded') return;
    if (status.state === 'failed') throw toRouterError(status.error, `The release of ${body.version} failed.`);
    if (performance.now() > deadline) throw new RouterError('INTERNAL', `The release of ${body.version} (${id}) did not finish in time.`);
    await sleep(100);
  }
}

async function call(options: SeedOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await request(new URL(path, options.controlPlane.url), {
    method,
    headers: { authorization: `Bearer ${options.controlPlane.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = (await response.body.json()) as { error?: { code: string; message: string } };
  if (response.statusCode >= 400) throw toRouterError(payload.error, `${method} ${path} answered ${response.statusCode}.`);
  return payload;
}

function toRouterError(error: { code: string; message: string } | undefined, fallback: string): RouterError {
  if (error !== undefined && error.code in errorCatalogue) return new RouterError(error.code as ErrorCode, error.message);
  return new RouterError('INTERNAL', error?.message ?? fallback);
}
