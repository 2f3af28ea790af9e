import { storageStatusOf, toStorageError } from '../../../shared/storage/table-storage-errors.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import type { ControlPlaneTable } from './control-plane-table.js';

/**
 * Only one release may change a major.minor at a time. A release claims its route key by
 * inserting a row that may not exist yet (create-if-absent is atomic in Table storage, unlike a
 * query followed by a write); the row names the release, so a release that resumes after a crash
 * still owns it, and it is deleted when the release ends.
 */
export interface ReleaseClaim {
  readonly routeKey: RouteKey;
  readonly releaseId: string;
  readonly version: string;
  readonly claimedAt: string;
}

export interface HeldClaim extends ReleaseClaim {
  readonly etag: string;
}

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly holder: HeldClaim };

const partitionKey = 'release-claim';

interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  ReleaseId: string;
  Version: string;
  ClaimedAt: string;
}

export class ReleaseClaims {
  readonly #table: ControlPlaneTable;

  constructor(table: ControlPlaneTable) {
    this.#table = table;
  }

  /** Claims the route key for the release; claiming again for the same release succeeds. */
  async claim(claim: ReleaseClaim): Promise<ClaimOutcome> {
    await this.#table.ready();
    try {
      await this.#table.client.createEntity(toEntity(claim));
      return { claimed: true };
    } catch (error) {
      if (storageStatusOf(error) !== 409) throw toStorageError(error, `claim ${claim.routeKey} for release ${claim.releaseId}`);
    }
    const holder = await this.get(claim.routeKey);
    if (holder === undefined) return this.claim(claim);
    return holder.releaseId === claim.releaseId ? { claimed: true } : { claimed: false, holder };
  }

  /** Replaces a stale claim, only if it is still the one that was read; false if it changed. */
  async takeOver(stale: HeldClaim, claim: ReleaseClaim): Promise<boolean> {
    await this.#table.ready();
    try {
      await this.#table.client.updateEntity(toEntity(claim), 'Replace', { etag: stale.etag });
      return true;
    } catch (error) {
      const status = storageStatusOf(error);
      if (status === 412 || status === 404) return false;
      throw toStorageError(error, `take over the claim on ${claim.routeKey}`);
    }
  }

  /** Deletes the claim if this release holds it; a claim already gone or held by another is left alone. */
  async release(routeKey: RouteKey, releaseId: string): Promise<void> {
    const held = await this.get(routeKey);
    if (held === undefined || held.releaseId !== releaseId) return;
    try {
      await this.#table.client.deleteEntity(partitionKey, routeKey, { etag: held.etag });
    } catch (error) {
      // 412: another release took the claim over meanwhile; 404: it is gone already. Either way it is not ours.
      const status = storageStatusOf(error);
      if (status === 412 || status === 404) return;
      throw toStorageError(error, `release the claim on ${routeKey}`);
    }
  }

  async get(routeKey: RouteKey): Promise<HeldClaim | undefined> {
    await this.#table.ready();
    let entity: ClaimEntity & { etag: string };
    try {
      entity = await this.#table.client.getEntity<ClaimEntity>(partitionKey, routeKey);
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw toStorageError(error, `read the release claim on ${routeKey}`);
    }
    return { routeKey, releaseId: entity.ReleaseId, version: entity.Version, claimedAt: entity.ClaimedAt, etag: entity.etag };
  }
}

function toEntity(claim: ReleaseClaim): ClaimEntity {
  return { partitionKey, rowKey: claim.routeKey, ReleaseId: claim.releaseId, Version: claim.version, ClaimedAt: claim.claimedAt };
}
