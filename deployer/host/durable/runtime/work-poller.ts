/**
 * While this process owns the task hub, finds what was written to `{hub}Work` without being
 * handed to it in memory: by a process that serves the hub's HTTP API without owning it (its
 * starts, raised events, terminations …), or by an owner before it handed over. Messages already
 * handed over are skipped; one handed over twice is recognised by its key (inbox-plan.ts).
 */
import type { Logger } from 'pino';
import type { WorkMessage, WorkQueue } from '../storage/work-queue.js';

export class WorkPoller {
  /** Keys handed over, with the listing they were recorded in. */
  private readonly handed = new Map<string, number>();
  private listing = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly work: WorkQueue,
    private readonly intervalMs: number,
    private readonly deliver: (message: WorkMessage) => void,
    private readonly logger: Logger,
  ) {}

  /** A message handed over in memory: a listing leaves it out. */
  record(key: string): void {
    this.handed.set(key, this.listing);
  }

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    const listing = ++this.listing;
    const seen = new Set<string>();
    let found = 0;
    try {
      for await (const message of this.work.list((_instanceId, key) => {
        seen.add(key);
        return this.handed.has(key);
      })) {
        if (this.stopped) return;
        found++;
        this.deliver(message);
      }
      // Gone from the table (consumed): forget them, unless recorded while this listing ran.
      for (const [key, recordedIn] of this.handed) {
        if (recordedIn < listing && !seen.has(key)) this.handed.delete(key);
      }
      if (found > 0) this.logger.debug({ messages: found }, 'Found work messages written by another process');
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not read the task hub\'s work table; trying again');
    } finally {
      this.timer = undefined;
      if (!this.stopped) this.start();
    }
  }
}
