import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { AdminAnswer, AdminClient } from '../admin-client.js';
import { createAdminClient, describeFailure, type GlobalOptions } from '../global-options.js';
import { releaseFailureDetails, releaseSucceeded, ReleaseProgressPrinter, type VersionsAfterRelease } from '../output/release-progress.js';
import { followRelease, type ReleaseView } from '../release/release-follower.js';
import { packageAppDirectory } from '../release/directory-package.js';
import { resolvePackageSource, type PackageSource } from '../release/package-source.js';

export interface ReleaseCommandOptions {
  readonly package: string;
  readonly strategy?: string | undefined;
  /** False with --no-promote. */
  readonly promote: boolean;
  /** --wait / --no-wait; neither: wait when stdout is a terminal. */
  readonly wait?: boolean | undefined;
  /** Seconds to wait for the release to end. */
  readonly timeout: string;
}

interface Accepted {
  readonly id: string;
  readonly version?: string;
  readonly statusUrl?: string;
}

const statusIntervalMs = 250;
const mapCatchUpMs = 10_000;

export async function runReleaseCommand(version: string, options: ReleaseCommandOptions, global: GlobalOptions): Promise<void> {
  const timeoutMs = seconds(options.timeout, '--timeout') * 1000;
  const json = global.output === 'json';
  const say = (line: string): void => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  const client = await createAdminClient(global);
  const source = await resolvePackageSource(options.package);
  const startedAt = performance.now();
  const { body: accepted } = await startRelease(client, version, source, options, say);
  // A person at a terminal wants to see it through; a script gets the id at once unless it asks to wait.
  const wait = options.wait ?? process.stdout.isTTY === true;
  if (!wait) {
    if (json) process.stdout.write(`${JSON.stringify(accepted, null, 2)}\n`);
    say(`release ${accepted.id} of ${version} started`);
    if (accepted.statusUrl !== undefined) say(`its status: ${accepted.statusUrl} (or run again with --wait)`);
    return;
  }
  say(`release ${accepted.id} of ${version} started`);
  const printer = json ? undefined : new ReleaseProgressPrinter(process.stdout, process.stdout.isTTY === true);
  let final;
  try {
    final = await followRelease(client, accepted.id, { intervalMs: statusIntervalMs, timeoutMs, onUpdate: (view) => printer?.update(view, performance.now() - startedAt) });
  } finally {
    printer?.finish();
  }
  // Succeeded: also wait (briefly) until this front door routes by the new map, so that whoever
  // calls the router right after `release --wait` reaches the new version.
  const after = final.state === 'succeeded' ? await versionsAfter(client, final) : undefined;
  if (json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
  if (final.state === 'failed') {
    const error = final.error ?? { code: 'INTERNAL', message: `The release ${final.id} failed without saying why.` };
    process.stderr.write(`error ${error.code}: ${error.message}\n${releaseFailureDetails(final).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  for (const line of releaseSucceeded(final, performance.now() - startedAt, after)) say(line);
}

/**
 * The version map as the front door routes by it once it has loaded the release (it re-reads the
 * map every 500 ms by default); undefined if it has not within a few seconds.
 */
async function versionsAfter(client: AdminClient, release: ReleaseView): Promise<VersionsAfterRelease | undefined> {
  const deadline = performance.now() + mapCatchUpMs;
  try {
    for (;;) {
      const listing = await client.get<VersionsAfterRelease>('/admin/versions');
      // Recorded, and past provisioning: until then the front door refuses the version.
      const recorded = listing.versions.some((entry) => entry.versions?.includes(release.version) === true && entry.state !== 'provisioning');
      const promoted = release.kind !== 'breaking' || release.promote === false || listing.current === release.routeKey;
      if (recorded && promoted) return listing;
      if (performance.now() > deadline) return undefined;
      await sleep(100);
    }
  } catch (error) {
    // The release succeeded; the line about the map is a nicety worth a note, not a failure.
    process.stderr.write(`(could not read the version map afterwards: ${describeFailure(error)})\n`);
    return undefined;
  }
}

async function startRelease(client: AdminClient, version: string, source: PackageSource, options: ReleaseCommandOptions, say: (line: string) => void): Promise<AdminAnswer<Accepted>> {
  if (source.kind === 'url') {
    return client.post<Accepted>('/admin/releases', {
      version,
      package: source.url,
      ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
      ...(options.promote ? {} : { promote: false }),
    });
  }
  const query = new URLSearchParams({ version });
  if (options.strategy !== undefined) query.set('strategy', options.strategy);
  if (!options.promote) query.set('promote', 'false');
  if (source.kind === 'zip') {
    say(`uploading ${source.path}`);
    return client.upload<Accepted>(`/admin/releases?${query}`, createReadStream(source.path), 'application/zip');
  }
  const packaged = await packageAppDirectory(source.path, say);
  try {
    const { zip } = packaged;
    say(`uploading ${source.path} as a zip (${zip.files} files, ${Math.ceil(zip.bytes / 1024)} KiB before compression)`);
    return await client.upload<Accepted>(`/admin/releases?${query}`, zip.stream, 'application/zip');
  } finally {
    await packaged.dispose();
  }
}

function seconds(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new RouterError('INVALID_REQUEST', `${flag} must be a positive number of seconds, not "${value}".`);
  return parsed;
}
