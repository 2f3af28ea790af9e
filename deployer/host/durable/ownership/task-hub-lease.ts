/**
 * Keeps (or waits for) the task hub's lease: the loop that reads and writes the lease row on a
 * timer and tells the engine when it owns the hub, must stop working it, or is asked to hand it
 * over. The rule is lease-rule.ts; the row is storage/lease-table.ts.
 *
 * The owner counts itself owner only while its last successful renewal, timed from when it was
 * sent, is younger than the lease duration minus a margin: an event loop or a store stalled past
 * that stops its work before another engine can take the expired lease.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { LeaseTable, StoredLease } from '../storage/lease-table.js';
import { decideLease, releaseLease, withdrawRequest, type LeaseRecord } from './lease-rule.js';
import { ownerProcessIsGone, thisProcess } from './owner-process.js';

export interface LeaseTimings {
  /** How long a lease runs without renewal. */
  readonly durationMs: number;
  /** How often the owner renews it. */
  readonly renewMs: number;
  /** How often a waiting engine looks at it. */
  readonly checkMs: number;
  /** The owner stops working this long before its lease would expire. */
  readonly marginMs: number;
  /** How long a handover lets running work finish before the lease is released. */
  readonly handoverDrainMs: number;
}

export const defaultLeaseTimings: LeaseTimings = { durationMs: 10_000, renewMs: 2_000, checkMs: 1_000, marginMs: 2_000, handoverDrainMs: 5_000 };

export interface LeaseHolder {
  /** This engine now owns the hub: start working it. */
  acquired(): void;
  /** Stop working the hub at once (the lease is lost or could not be renewed in time). */
  lost(reason: string): void;
  /** Another engine asked for the hub: finish what runs (bounded); the lease is released when this settles. */
  handOver(): Promise<void>;
}

export interface LeaseStatus {
  /** This engine's id in the lease row. */
  readonly me: string;
  readonly owns: boolean;
  /** The owner as last seen ('' when released or unknown). */
  readonly owner: string;
}

type Mode = 'waiting' | 'owning' | 'handing-over' | 'stopped';

/** Rounds of read-decide-write when another engine writes the row in between. */
const conflictRounds = 3;

export class TaskHubLease {
  readonly me = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private mode: Mode = 'waiting';
  /** Counts changes of mode: a write answered after one is stale news. */
  private epoch = 0;
  private mayRequest = true;
  private stored: StoredLease | undefined;
  /** performance.now() when the last successful renewal (or take) was sent. */
  private renewedAt = -Infinity;
  private beliefTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastOwner = '';
  private begun = false;

  constructor(
    private readonly table: LeaseTable,
    private readonly timings: LeaseTimings,
    private readonly holder: LeaseHolder,
    private readonly logger: Logger,
  ) {}

  /** Makes the first attempt (the hub is taken at once if free), then keeps looking in the background. */
  async start(): Promise<void> {
    if (this.begun) return;
    this.begun = true;
    await this.table.ensureTable();
    await this.tick();
    this.loop = this.run();
  }

  /** Whether this engine may work the hub now. */
  holds(): boolean {
    return (this.mode === 'owning' || this.mode === 'handing-over') && performance.now() - this.renewedAt < this.timings.durationMs - this.timings.marginMs;
  }

  status(): LeaseStatus {
    return { me: this.me, owns: this.holds(), owner: this.holds() ? this.me : this.lastOwner };
  }

  /** Gives the lease up without a handover request (this engine cannot work the hub); it may take it again later. */
  async relinquish(): Promise<void> {
    if (this.mode !== 'owning') return;
    this.becomeWaiting();
    await this.release();
  }

  /** Stops the loop; releases the lease if held (the work must be stopped first) or withdraws a request. */
  async stop(): Promise<void> {
    this.mode = 'stopped';
    this.epoch++;
    clearTimeout(this.beliefTimer);
    this.wake?.();
    await this.loop;
    if (!this.begun) return;
    await this.rewrite((record) => releaseLease(record, this.me, Date.now(), this.timings.durationMs) ?? withdrawRequest(record, this.me));
  }

  private async run(): Promise<void> {
    while (this.mode !== 'stopped') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.mode === 'waiting' ? this.timings.checkMs : this.timings.renewMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopped()) return;
      try {
        await this.tick();
      } catch (error) {
        this.logger.warn({ err: error }, 'Could not read or write the task hub lease; trying again');
      }
    }
  }

  private stopped(): boolean {
    return this.mode === 'stopped';
  }

  private async tick(): Promise<void> {
    for (let round = 1; round <= conflictRounds; round++) {
      // The owner writes over the row it last wrote; a changed ETag (a request arrived) makes it read.
      const holding = this.holds();
      const current = holding && round === 1 ? this.stored : await this.table.read();
      if (!holding || round > 1) this.stored = current;
      this.lastOwner = current?.record.owner ?? '';
      const now = Date.now();
      const owner = current?.record;
      const ownerGone = owner !== undefined && owner.owner !== '' && owner.owner !== this.me && ownerProcessIsGone(owner.ownerProcess);
      const decision = decideLease(owner, { me: this.me, process: thisProcess(), ownerGone, now, durationMs: this.timings.durationMs, holding, mayRequest: this.mayRequest });
      if (decision.kind === 'wait') return;
      if (decision.kind === 'lost') {
        this.lose(`task hub lease taken by ${current?.record.owner || 'nobody'}`);
        return;
      }
      const sentAt = performance.now();
      const epoch = this.epoch;
      const written = await this.table.write(decision.next, current?.etag);
      if (written === undefined) continue;
      this.stored = written;
      // Stopped or lost meanwhile: a lease taken now is released by stop(), or taken again at the next look.
      if (this.epoch !== epoch || this.mode === 'stopped') return;
      if (decision.kind === 'request') {
        this.logger.info({ owner: decision.next.owner }, 'Asked the task hub\'s owner to hand it over');
        return;
      }
      this.renewed(sentAt);
      this.lastOwner = this.me;
      if (decision.kind === 'take' && this.mode === 'waiting') {
        this.mode = 'owning';
        this.epoch++;
        this.logger.info({ lease: this.me }, 'This host owns the task hub now');
        this.holder.acquired();
      } else if (decision.kind === 'renew' && decision.handover && this.mode === 'owning') {
        this.handOver(decision.next.requestedBy);
      }
      return;
    }
  }

  private renewed(sentAt: number): void {
    this.renewedAt = sentAt;
    clearTimeout(this.beliefTimer);
    this.beliefTimer = setTimeout(() => {
      if (!this.holds() && (this.mode === 'owning' || this.mode === 'handing-over')) this.lose('the task hub lease could not be renewed in time');
    }, Math.max(0, sentAt + this.timings.durationMs - this.timings.marginMs - performance.now()));
    this.beliefTimer.unref();
  }

  private handOver(requester: string): void {
    this.mode = 'handing-over';
    this.epoch++;
    this.logger.info({ requestedBy: requester }, 'Handing the task hub over to a newer host');
    void this.holder.handOver().catch((error: unknown) => {
      this.logger.error({ err: error }, 'Stopping work for a handover failed');
    }).then(async () => {
      if (this.mode !== 'handing-over') return;
      this.becomeWaiting();
      await this.release();
      this.logger.info({ requestedBy: requester }, 'Handed the task hub over');
    }).catch((error: unknown) => {
      // The lease then expires and the requester takes it.
      this.logger.warn({ err: error }, 'Could not release the task hub lease');
    });
  }

  private lose(reason: string): void {
    if (this.mode !== 'owning' && this.mode !== 'handing-over') return;
    this.logger.warn({ reason }, 'This host stopped working the task hub: it no longer holds its lease');
    this.becomeWaiting();
    this.holder.lost(reason);
  }

  /** After owning: wait without asking for the hub back (it is taken only once free or expired). */
  private becomeWaiting(): void {
    if (this.mode !== 'stopped') this.mode = 'waiting';
    this.epoch++;
    this.mayRequest = false;
    this.renewedAt = -Infinity;
    clearTimeout(this.beliefTimer);
  }

  private async release(): Promise<void> {
    await this.rewrite((record) => releaseLease(record, this.me, Date.now(), this.timings.durationMs));
  }

  private async rewrite(change: (record: LeaseRecord) => LeaseRecord | undefined): Promise<void> {
    let current = this.stored;
    for (let round = 1; round <= conflictRounds; round++) {
      if (current === undefined || round > 1) current = await this.table.read();
      if (current === undefined) return;
      const next = change(current.record);
      if (next === undefined) return;
      const written = await this.table.write(next, current.etag);
      if (written !== undefined) {
        this.stored = written;
        return;
      }
    }
  }
}
