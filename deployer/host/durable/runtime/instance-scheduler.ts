/**
 * Runs episodes: each instance has an inbox; an instance with something in its inbox is queued,
 * and at most `maxConcurrent` instances are processed at once, one episode per instance at a
 * time. A failed episode puts its items back and is retried with backoff.
 */
import type { Logger } from 'pino';
import type { InboxItem } from '../orchestration/inbox-plan.js';

export interface EpisodeOutcome {
  /** Items to keep for later (e.g. events that wait while the instance is suspended). */
  readonly held?: readonly InboxItem[];
  /** Run the instance again after this delay even if nothing new arrives. */
  readonly retryAfterMs?: number;
}

export type EpisodeProcessor = (instanceId: string, items: readonly InboxItem[]) => Promise<EpisodeOutcome>;

interface Slot {
  readonly instanceId: string;
  inbox: InboxItem[];
  queued: boolean;
  running: boolean;
  /** Held items are not worth a run until something new arrives (or the retry timer fires). */
  parked: boolean;
  failures: number;
  timer?: NodeJS.Timeout;
}

const backoffBaseMs = 100;
const backoffMaxMs = 10_000;

export class InstanceScheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly ready: Slot[] = [];
  private readyHead = 0;
  private active = 0;
  private stopped = false;
  /** Until started, items are collected but nothing runs (recovery queues its items first). */
  private paused = true;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly processor: EpisodeProcessor,
    private readonly logger: Logger,
  ) {}

  post(instanceId: string, item: InboxItem): void {
    const slot = this.slotOf(instanceId);
    slot.inbox.push(item);
    slot.parked = false;
    this.enqueue(slot);
  }

  /** Puts an item at the front of the inbox (recovery must run before anything else). */
  postFirst(instanceId: string, item: InboxItem): void {
    const slot = this.slotOf(instanceId);
    slot.inbox.unshift(item);
    slot.parked = false;
    this.enqueue(slot);
  }

  /** Starts running episodes. */
  resume(): void {
    this.paused = false;
    for (const slot of this.slots.values()) this.enqueue(slot);
  }

  get busy(): boolean {
    return this.active > 0 || this.ready.length - this.readyHead > 0;
  }

  /** Stops starting episodes and waits for the running ones to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
    }
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private slotOf(instanceId: string): Slot {
    let slot = this.slots.get(instanceId);
    if (!slot) {
      slot = { instanceId, inbox: [], queued: false, running: false, parked: false, failures: 0 };
      this.slots.set(instanceId, slot);
    }
    return slot;
  }

  private enqueue(slot: Slot): void {
    if (this.stopped || this.paused || slot.queued || slot.running || slot.parked || slot.timer || slot.inbox.length === 0) return;
    slot.queued = true;
    this.ready.push(slot);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.maxConcurrent && this.readyHead < this.ready.length) {
      const slot = this.ready[this.readyHead++] as Slot;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      slot.queued = false;
      void this.run(slot);
    }
  }

  private async run(slot: Slot): Promise<void> {
    slot.running = true;
    this.active++;
    const items = slot.inbox.splice(0);
    let retryAfterMs: number | undefined;
    try {
      const outcome = await this.processor(slot.instanceId, items);
      slot.failures = 0;
      if (outcome.held && outcome.held.length > 0) {
        slot.inbox.unshift(...outcome.held);
        // Nothing new arrived during the episode: wait for something that might change the answer.
        if (slot.inbox.length === outcome.held.length) slot.parked = true;
      }
      retryAfterMs = outcome.retryAfterMs;
    } catch (error) {
      slot.inbox.unshift(...items);
      slot.failures++;
      retryAfterMs = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(slot.failures - 1, 10));
      this.logger.warn({ err: error, instanceId: slot.instanceId, attempt: slot.failures, retryInMs: retryAfterMs }, 'Durable episode failed; retrying');
    } finally {
      slot.running = false;
      this.active--;
    }
    if (retryAfterMs !== undefined && !this.stopped) {
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        slot.parked = false;
        this.enqueue(slot);
      }, retryAfterMs);
    }
    if (slot.inbox.length === 0 && !slot.timer) this.slots.delete(slot.instanceId);
    else this.enqueue(slot);
    if (this.active === 0 && this.stopped) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    this.pump();
  }
}
