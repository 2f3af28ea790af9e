/**
 * Durable timers while the host runs: a TimerCreated in history is the durable record, this only
 * fires it on time (and again after a restart, from the history).
 */
import type { HistoryEvent } from '../history/history-event.js';
import { timerFired } from '../orchestration/task-results.js';

export type TimerSink = (instanceId: string, executionId: string, event: HistoryEvent) => void;

// setTimeout cannot wait longer than 2^31-1 ms; longer timers re-arm.
const longestWaitMs = 2 ** 31 - 1;

export class TimerService {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deliver: TimerSink) {}

  schedule(instanceId: string, executionId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\n${executionId}\n${timerId}`;
    if (this.stopped || this.timers.has(key)) return;
    const arm = (): void => {
      const wait = Date.parse(fireAt) - Date.now();
      if (wait > longestWaitMs) {
        this.timers.set(key, setTimeout(arm, longestWaitMs));
        return;
      }
      this.timers.set(key, setTimeout(() => {
        // setTimeout keeps a monotonic clock, the fire time is wall-clock: early by a millisecond, the
        // orchestrator would wake at a currentUtcDateTime before its timer's. Wait out the rest.
        if (Date.now() < Date.parse(fireAt)) {
          arm();
          return;
        }
        this.timers.delete(key);
        if (!this.stopped) this.deliver(instanceId, executionId, timerFired(timerId, fireAt, new Date().toISOString()));
      }, Math.max(0, wait)));
    };
    arm();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
