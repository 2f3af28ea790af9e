/**
 * `start --backends <file>`: versions the quick start wants deployed, released through the admin
 * API like any release (staged as the version the file names), unless they are deployed already.
 * All are released without promotion, so every one stays active; then the file's `current` (or
 * the newest) is made current.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { request } from 'undici';
import { errorCatalogue, type ErrorCode } from '../../shared/errors/error-catalogue.js';
import { RouterError } from '../../shared/errors/router-error.js';
import type { VersionMapStore } from '../../shared/stores/version-map-store.js';
import { compareVersions, routeKeyOf } from '../../shared/versions/semantic-version.js';
import type { BackendsFile } from './backends-file.js';
import { stageAppAsVersion } from './staged-app.js';

export interface SeedOptions {
  readonly frontDoorUrl: string;
  readonly adminKey: string;
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
    await call(options, 'POST', `/admin/versions/${current}/current`);
    await frontDoorRoutesTo(options, current);
  }
  return released;
}

/** The front door re-reads the map on its own schedule: wait until it routes to the new current version. */
async function frontDoorRoutesTo(options: SeedOptions, current: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (((await call(options, 'GET', '/admin/versions')) as { current: string | null }).current !== current) {
    if (performance.now() > deadline) throw new RouterError('INTERNAL', `The front door did not load the version map with ${current} current in time.`);
    await sleep(50);
  }
}

async function release(options: SeedOptions, body: { version: string; package: string; promote: boolean }): Promise<void> {
  const { id } = (await call(options, 'POST', '/admin/releases', body)) as { id: string };
  const deadline = performance.now() + (options.releaseTimeoutMs ?? 120_000);
  for (;;) {
    const status = (await call(options, 'GET', `/admin/releases/${encodeURIComponent(id)}`)) as { state: string; error?: { code: string; message: string } };
    if (status.state === 'succeeded') return;
    if (status.state === 'failed') throw toRouterError(status.error, `The release of ${body.version} failed.`);
    if (performance.now() > deadline) throw new RouterError('INTERNAL', `The release of ${body.version} (${id}) did not finish in time.`);
    await sleep(100);
  }
}

async function call(options: SeedOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await request(new URL(path, options.frontDoorUrl), {
    method,
    headers: { authorization: `Bearer ${options.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
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
