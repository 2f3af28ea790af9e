/**
 * Picking up after a restart (or a crash): every unfinished instance of this task hub is reloaded
 * from its history, which re-dispatches its scheduled activities and timers and starts what was
 * accepted but not begun; then every message still in the work queue is delivered again.
 */
import type { Logger } from 'pino';
import { isEntityInstanceId } from '../entities/entity-batch.js';
import type { InboxItem } from '../orchestration/inbox-plan.js';
import type { TrackingStore } from '../storage/tracking-store.js';
import type { WorkQueue } from '../storage/work-queue.js';

export interface RecoveryTargets {
  post(instanceId: string, item: InboxItem): void;
  postFirst(instanceId: string, item: InboxItem): void;
}

export async function recoverTaskHub(store: TrackingStore, work: WorkQueue, taskHubName: string, targets: RecoveryTargets, logger: Logger): Promise<void> {
  let instances = 0;
  for await (const instance of store.listInstances({ taskHubName, runtimeStatus: ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'] })) {
    if (isEntityInstanceId(instance.instanceId)) continue;
    // A start answered as failed whose row landed late: it is being removed, not run (a lease lost and taken again in a stall recovers meanwhile).
    if (instance.runtimeStatus === 'Pending' && store.isRetracting(instance.instanceId, instance.executionId)) continue;
    if (instance.runtimeStatus === 'Pending') {
      targets.postFirst(instance.instanceId, {
        kind: 'start',
        start: {
          executionId: instance.executionId,
          name: instance.name,
          createdTime: instance.createdTime.toISOString(),
          ...(instance.input === undefined ? {} : { input: instance.input }),
          ...(instance.version === undefined ? {} : { version: instance.version }),
        },
      });
    }
    targets.postFirst(instance.instanceId, { kind: 'recover' });
    instances++;
  }
  let messages = 0;
  for await (const message of work.list()) {
    targets.post(message.instanceId, { kind: 'work', message });
    messages++;
  }
  if (instances > 0 || messages > 0) logger.info({ instances, messages }, 'Resuming unfinished durable work');
}
