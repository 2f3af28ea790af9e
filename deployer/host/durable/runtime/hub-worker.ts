/**
 * Works the task hub for as long as this process owns it: one is made each time the lease is
 * taken (caches start empty, since another process may have worked the hub meanwhile), recovers
 * the hub's unfinished work, runs episodes, activities and timers, and polls `{hub}Work` for what
 * processes that do not own the hub wrote. It ends by a handover or stop (running work finishes,
 * bounded, nothing new starts) or at once when the lease is lost (results then go nowhere: what
 * the history says is unfinished is run again by the next owner).
 */
import type { Logger } from 'pino';
import type { FunctionInvoker } from '../../host-contracts.js';
import type { DurableTaskSettings } from '../configuration/durable-task-settings.js';
import { isEntityInstanceId } from '../entities/entity-batch.js';
import type { HistoryEvent } from '../history/history-event.js';
import type { InboxItem } from '../orchestration/inbox-plan.js';
import type { TrackingStore } from '../storage/tracking-store.js';
import type { WorkQueue } from '../storage/work-queue.js';
import { ActivityRunner } from './activity-runner.js';
import { EntityExecutor } from './entity-executor.js';
import type { FunctionDirectory } from './function-directory.js';
import { InstanceScheduler } from './instance-scheduler.js';
import { OrchestrationExecutor } from './orchestration-executor.js';
import { recoverTaskHub } from './recovery.js';
import { TimerService } from './timer-service.js';
import { WorkPoller } from './work-poller.js';

export interface HubWorkerOptions {
  readonly store: TrackingStore;
  readonly work: WorkQueue;
  readonly invoker: FunctionInvoker;
  readonly functions: FunctionDirectory;
  readonly settings: DurableTaskSettings;
  /** Whether this process still holds the lease (asked before anything is started or written). */
  readonly owns: () => boolean;
  readonly workPollMs: number;
  readonly logger: Logger;
}

type State = 'running' | 'draining' | 'stopped';

const idleCheckMs = 20;

export class HubWorker {
  private state: State = 'running';
  private readonly scheduler: InstanceScheduler;
  private readonly activities: ActivityRunner;
  private readonly timers: TimerService;
  private readonly orchestrations: OrchestrationExecutor;
  private readonly poller: WorkPoller;
  private draining: Promise<void> | undefined;

  constructor(private readonly options: HubWorkerOptions) {
    const { store, work, invoker, functions, settings, logger } = options;
    const post = (instanceId: string, item: InboxItem): void => this.post(instanceId, item);
    const deliver = (instanceId: string, executionId: string, event: HistoryEvent): void => post(instanceId, { kind: 'memory', executionId, event });
    const working = (): boolean => this.working();
    this.activities = new ActivityRunner(settings.maxConcurrentActivityFunctions, invoker, deliver, logger, working);
    this.timers = new TimerService(deliver);
    this.orchestrations = new OrchestrationExecutor({ store, work, invoker, functions, settings, activities: this.activities, timers: this.timers, post, owns: working, logger });
    const entities = new EntityExecutor({ store, work, invoker, functions, post, owns: working, logger });
    this.scheduler = new InstanceScheduler(
      settings.maxConcurrentOrchestratorFunctions,
      (instanceId, items) => (isEntityInstanceId(instanceId) ? entities.process(instanceId, items) : this.orchestrations.process(instanceId, items)),
      logger,
    );
    this.poller = new WorkPoller(work, options.workPollMs, (message) => post(message.instanceId, { kind: 'work', message }), logger);
  }

  /** Recovers the hub's unfinished work, then runs it and everything that arrives. */
  async begin(): Promise<void> {
    const { store, work, settings, logger } = this.options;
    await recoverTaskHub(store, work, settings.hubName, {
      post: (instanceId, item) => this.post(instanceId, item),
      postFirst: (instanceId, item) => {
        if (this.working()) this.scheduler.postFirst(instanceId, item);
      },
    }, logger);
    if (this.state !== 'running') return;
    this.scheduler.resume();
    this.poller.start();
  }

  /** An item from the HTTP API; false when this worker takes no new work (a durable record must reach the owner). */
  accept(instanceId: string, item: InboxItem): boolean {
    if (this.state !== 'running' || !this.options.owns()) return false;
    this.post(instanceId, item);
    return true;
  }

  /**
   * Starts nothing new and lets what runs finish, for at most `boundMs`: activities running now
   * deliver their results and those are checkpointed, so the next owner does not run them again.
   */
  drain(boundMs: number): Promise<void> {
    this.draining ??= (async () => {
      if (this.state === 'stopped') return;
      this.state = 'draining';
      const deadline = performance.now() + boundMs;
      this.poller.stop();
      this.timers.stop();
      this.activities.hold();
      while ((this.scheduler.busy || this.activities.running > 0) && performance.now() < deadline && this.state === 'draining') {
        await new Promise((resolve) => setTimeout(resolve, idleCheckMs));
      }
      const stopped = this.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - performance.now())); })]);
      clearTimeout(timer);
    })();
    return this.draining;
  }

  /** Stops at once: the lease is gone, so nothing more may be started or written. */
  abort(): void {
    void this.end();
  }

  private working(): boolean {
    return this.state !== 'stopped' && this.options.owns();
  }

  private post(instanceId: string, item: InboxItem): void {
    if (!this.working()) return;
    // A draining worker finishes the results of running work; everything else is durable and waits for the next owner.
    if (this.state === 'draining' && item.kind !== 'memory') return;
    if (item.kind === 'work') this.poller.record(item.message.key);
    this.scheduler.post(instanceId, item);
  }

  private async end(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.poller.stop();
    this.timers.stop();
    this.orchestrations.stop();
    await Promise.all([this.scheduler.stop(), this.activities.stop(0)]);
  }
}
