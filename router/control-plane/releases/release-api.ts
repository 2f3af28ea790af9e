/**
 * The control plane's release API (HTTP triggers, route prefix `api`):
 *   POST api/releases        JSON { version, package, strategy?, promote?, settings? }, or a zip body
 *                            (content-type application/zip) with ?version= (or x-release-version),
 *                            ?strategy=, ?promote= → 202 { id, version, routeKey, statusUrl }
 *   GET  api/releases/{id}   → the release's ReleaseView
 * Everything that can be refused is refused before the orchestration starts: the request, the
 * claim on the major.minor, the classification against the map, the package (taken in and kept).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { RouterError } from '../../../shared/errors/router-error.js';
import { orchestrationVersioning, planOrchestrationVersioning } from '../../../shared/versions/orchestration-versioning.js';
import { classifyRelease } from '../../../shared/versions/release-classification.js';
import type { PackageSource } from '../../releases/package/package-intake.js';
import { isUnfinished, readStatus } from '../durable/instance-status.js';
import { orchestrationNames } from '../function-names.js';
import { authorize, readJsonBody, respond } from '../http/api-responses.js';
import type { ControlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import { controlPlaneRuntime } from '../runtime/control-plane-runtime.js';
import type { ReleaseClaim } from '../storage/release-claims.js';
import { failAbandonedProvisioning } from '../versions/version-changes.js';
import { discardPackageUnlessHealthy } from './package-retention.js';
import { claimKeysOf, describeClaimKey } from './release-claim-keys.js';
import { releaseIdFor } from './release-naming.js';
import type { ReleaseInput } from './release-progress.js';
import { parseJsonReleaseRequest, parseUploadReleaseRequest, type ReleaseRequest } from './release-request.js';
import { describeRelease } from './release-status.js';

/**
 * A claim whose release never started (the control plane died while taking in its package) is
 * taken over after this long; it covers the longest package download.
 */
const unstartedClaimTimeoutMs = 5 * 60_000;
const zipContentTypes = new Set(['application/zip', 'application/x-zip-compressed', 'application/octet-stream']);

export async function startRelease(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = controlPlaneRuntime();
    authorize(request, runtime.settings.key);
    const upload = zipContentTypes.has((request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase());
    const release: ReleaseRequest = upload
      ? parseUploadReleaseRequest({
        version: request.query.get('version') ?? request.headers.get('x-release-version'),
        strategy: request.query.get('strategy'),
        promote: request.query.get('promote'),
      })
      : parseJsonReleaseRequest(await readJsonBody(request));
    const client = df.getClient(context);
    // Refused before anything is claimed: a release that would lower the lineage's version.
    if (release.strategy === orchestrationVersioning) planOrchestrationVersioning((await runtime.store.read()).map, release.version);
    const claim: ReleaseClaim = { routeKey: release.routeKey, releaseId: releaseIdFor(release.version, randomUUID()), version: release.version, claimedAt: new Date().toISOString() };
    const claims = claimKeysOf(release.routeKey, release.strategy).map((key) => ({ ...claim, routeKey: key }));
    let sha256: string | undefined;
    try {
      for (const held of claims) await claimRouteKey(runtime, client, held, context);
      const { map } = await runtime.store.read();
      if (release.strategy === orchestrationVersioning) planOrchestrationVersioning(map, release.version);
      else classifyRelease(map, release.version, release.strategy);
      const taken = await runtime.intake.takeIn(await packageSource(request, release, upload), release.version);
      sha256 = taken.sha256;
      await runtime.packages.keep(taken);
      const input: ReleaseInput = {
        releaseId: claim.releaseId,
        version: release.version,
        routeKey: release.routeKey,
        strategy: release.strategy,
        promote: release.promote,
        sha256,
        settingNames: Object.keys(release.appSettings).sort(),
        requestedAt: claim.claimedAt,
        health: { timeoutMs: runtime.settings.healthTimeoutMs, intervalMs: runtime.settings.healthIntervalMs },
      };
      if (input.settingNames.length > 0) await runtime.releaseSettings.put(claim.releaseId, release.appSettings);
      await client.startNew(orchestrationNames.release, { instanceId: claim.releaseId, input });
      context.info(`Release ${claim.releaseId} started: ${release.version} from ${taken.origin} (${taken.files} files, sha256 ${sha256.slice(0, 12)}…)`);
    } catch (error) {
      await giveUp(runtime, claims, sha256, context);
      throw error;
    }
    const statusUrl = `${new URL(request.url).origin}/api/releases/${encodeURIComponent(claim.releaseId)}`;
    return { status: 202, headers: { location: statusUrl }, jsonBody: { id: claim.releaseId, version: release.version, routeKey: release.routeKey, statusUrl } };
  });
}

export async function getRelease(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = controlPlaneRuntime();
    authorize(request, runtime.settings.key);
    const id = request.params['id'] ?? '';
    const status = await readStatus(df.getClient(context), id);
    const view = status === undefined ? undefined : describeRelease({ ...status, runtimeStatus: String(status.runtimeStatus) });
    if (view === undefined) throw new RouterError('RELEASE_NOT_FOUND', `No release has the id "${id.slice(0, 100)}".`, { details: { id: id.slice(0, 100) } });
    return { status: 200, jsonBody: view };
  });
}

/**
 * Claims the major.minor for the release. A claim held by a release that has ended (or that never
 * started, long ago) is stale and taken over; any other holder means a release is in progress.
 */
async function claimRouteKey(runtime: ControlPlaneRuntime, client: DurableClient, claim: ReleaseClaim, context: InvocationContext): Promise<void> {
  const outcome = await runtime.claims.claim(claim);
  if (outcome.claimed) return;
  const { holder } = outcome;
  const status = await readStatus(client, holder.releaseId);
  const stale = status === undefined ? Date.now() - Date.parse(holder.claimedAt) > unstartedClaimTimeoutMs : !isUnfinished(status);
  if (stale && (await runtime.claims.takeOver(holder, claim))) {
    await runtime.releaseSettings.remove(holder.releaseId);
    context.warn(`Release ${claim.releaseId} took over the stale claim of ${holder.releaseId} on ${claim.routeKey}.`);
    await runtime.store.update((map) => failAbandonedProvisioning(map, claim.routeKey));
    return;
  }
  throw new RouterError(
    'RELEASE_IN_PROGRESS',
    `A release of ${describeClaimKey(claim.routeKey)} is already in progress: ${holder.releaseId} (version ${holder.version}, since ${holder.claimedAt}). Wait for it to finish (GET /admin/releases/${holder.releaseId}), then release again.`,
    { details: { routeKey: claim.routeKey, releaseId: holder.releaseId, version: holder.version } },
  );
}

async function packageSource(request: HttpRequest, release: ReleaseRequest, upload: boolean): Promise<PackageSource> {
  if (!upload) return { kind: 'reference', reference: release.packageReference ?? '' };
  // HTTP streams (functions.ts): the zip goes to disk as it arrives, never whole into memory.
  const declared = request.headers.get('content-length');
  return {
    kind: 'upload',
    body: request.body === null ? Readable.from([]) : Readable.fromWeb(request.body as WebReadableStream<Uint8Array>),
    ...(declared === null ? {} : { declaredBytes: Number(declared) }),
  };
}

/** A release refused before it started leaves nothing behind: no claim, no kept package, no kept settings. */
async function giveUp(runtime: ControlPlaneRuntime, claims: readonly ReleaseClaim[], sha256: string | undefined, context: InvocationContext): Promise<void> {
  const [claim] = claims as [ReleaseClaim];
  try {
    if (sha256 !== undefined) await discardPackageUnlessHealthy(runtime, claim.routeKey, sha256);
    await runtime.releaseSettings.remove(claim.releaseId);
    for (const held of claims) await runtime.claims.release(held.routeKey, held.releaseId);
  } catch (error) {
    // The refusal is what the caller needs to see; a claim left behind is taken over once found stale.
    context.error(`Could not clean up after refusing release ${claim.releaseId}`, error);
  }
}
