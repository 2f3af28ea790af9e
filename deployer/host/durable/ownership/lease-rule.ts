/**
 * Who may run a task hub, decided without I/O, as the Azure Storage provider's app lease decides
 * it: one row holds the owner and until when its lease runs. The owner renews it; anyone takes it
 * once it has expired or was released. A newly started engine asks for a handover (`requestedBy`):
 * the owner finishes what it runs, releases the lease, reserved for the requester until
 * `expiresAt`, and does not ask for it back (it only takes a lease that expired unclaimed), so two
 * engines on one hub never pass the lease back and forth. An owner whose process is known to be
 * gone (`ownerGone`) is treated as expired: a host restarted after a crash need not wait out the
 * dead one's lease.
 */

export interface LeaseRecord {
  /** The engine that holds the lease; '' when released. */
  readonly owner: string;
  /** The owner's process, `host/pid` ('' when released or unknown). */
  readonly ownerProcess: string;
  /** Epoch ms: until then the owner's lease (or, released, the requester's reservation) runs. */
  readonly expiresAt: number;
  /** An engine waiting for a handover; '' when none. */
  readonly requestedBy: string;
  /** Epoch ms: a request not renewed by then is stale (its engine is gone). */
  readonly requestExpiresAt: number;
}

export interface LeaseView {
  readonly me: string;
  /** This engine's process, `host/pid`. */
  readonly process: string;
  /** The row's owner is another engine whose process has ended. */
  readonly ownerGone: boolean;
  readonly now: number;
  readonly durationMs: number;
  /** This engine believes it holds the lease (its last renewal is recent enough). */
  readonly holding: boolean;
  /** This engine may ask for a handover: it has never held the lease since it started. */
  readonly mayRequest: boolean;
}

export type LeaseDecision =
  /** Write `next` (create the row when there is none): this engine owns the hub from then on. */
  | { readonly kind: 'take'; readonly next: LeaseRecord }
  /** Write `next` to keep the lease; `handover`: another engine asked for it. */
  | { readonly kind: 'renew'; readonly next: LeaseRecord; readonly handover: boolean }
  /** Write `next`: ask the owner for a handover. */
  | { readonly kind: 'request'; readonly next: LeaseRecord }
  | { readonly kind: 'wait' }
  /** This engine believed it held the lease; another one does. */
  | { readonly kind: 'lost' };

export function decideLease(row: LeaseRecord | undefined, view: LeaseView): LeaseDecision {
  const { me, now, durationMs } = view;
  const held = (): LeaseRecord => ({ owner: me, ownerProcess: view.process, expiresAt: now + durationMs, requestedBy: '', requestExpiresAt: 0 });
  if (row === undefined) return { kind: 'take', next: held() };
  const requestLive = row.requestedBy !== '' && row.requestExpiresAt > now;
  if (row.owner === me) {
    // Not holding: its renewals were overdue, so it stopped working; nobody took the lease meanwhile.
    if (!view.holding) return { kind: 'take', next: { ...row, expiresAt: now + durationMs } };
    return { kind: 'renew', next: { ...row, expiresAt: now + durationMs }, handover: requestLive && row.requestedBy !== me };
  }
  if (view.holding) return { kind: 'lost' };
  if (row.owner === '') {
    const reservedForOther = row.requestedBy !== '' && row.requestedBy !== me && row.expiresAt > now;
    return reservedForOther ? { kind: 'wait' } : { kind: 'take', next: held() };
  }
  if (row.expiresAt <= now || view.ownerGone) return { kind: 'take', next: held() };
  if (!view.mayRequest) return { kind: 'wait' };
  // Another engine's live request comes first; this engine's own is renewed at half its life.
  if (requestLive && row.requestedBy !== me) return { kind: 'wait' };
  if (requestLive && row.requestExpiresAt - now > durationMs / 2) return { kind: 'wait' };
  return { kind: 'request', next: { ...row, requestedBy: me, requestExpiresAt: now + durationMs } };
}

/**
 * The row once its owner lets go: reserved for a live requester until `durationMs` from now (the
 * requester takes it at its next look), free at once otherwise. Undefined: not this engine's.
 */
export function releaseLease(row: LeaseRecord, me: string, now: number, durationMs: number): LeaseRecord | undefined {
  if (row.owner !== me) return undefined;
  const requestLive = row.requestedBy !== '' && row.requestedBy !== me && row.requestExpiresAt > now;
  return requestLive
    ? { owner: '', ownerProcess: '', expiresAt: now + durationMs, requestedBy: row.requestedBy, requestExpiresAt: row.requestExpiresAt }
    : { owner: '', ownerProcess: '', expiresAt: 0, requestedBy: '', requestExpiresAt: 0 };
}

/** The row once a waiting engine that asked for the lease gives up (it stops). Undefined: nothing to withdraw. */
export function withdrawRequest(row: LeaseRecord, me: string): LeaseRecord | undefined {
  return row.requestedBy === me && row.owner !== me ? { ...row, requestedBy: '', requestExpiresAt: 0 } : undefined;
}
