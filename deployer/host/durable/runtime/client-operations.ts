/**
 * What a durable client can ask of the task hub (start, raise, terminate, suspend, resume, read
 * status, query, purge, entity signal and read), with the rules of the real extension: a start
 * is durable once its Pending Instances row exists; every other request is durable once its
 * message is in the work queue. Instances of other task hubs in a shared tracking store can be
 * read but neither driven nor purged: their app owns them.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { RouterError } from '../../../../shared/errors/router-error.js';
import type { RuntimeStatus } from '../../../../shared/tracking-store/tracking-store-schema.js';
import type { DurableTaskSettings } from '../configuration/durable-task-settings.js';
import { entityInstanceId, isEntityInstanceId, parseEntityState } from '../entities/entity-batch.js';
import { EventType, type HistoryEvent } from '../history/history-event.js';
import type { ExecutionStart, InboxItem } from '../orchestration/inbox-plan.js';
import { StorageUnavailableError } from '../storage/storage-call-policy.js';
import type { InstanceQuery, InstancePage, InstanceState, InstanceUpdate, TrackingStore } from '../storage/tracking-store.js';
import { newMessageKey, type WorkMessage, type WorkMessageBody, type WorkQueue } from '../storage/work-queue.js';
import type { FunctionDirectory } from './function-directory.js';

export interface ClientOperationsOptions {
  readonly store: TrackingStore;
  readonly work: WorkQueue;
  readonly functions: FunctionDirectory;
  readonly settings: DurableTaskSettings;
  /** Hands an item to the task hub's work in this process; false when this process does not work the hub (it does not own it). */
  readonly post: (instanceId: string, item: InboxItem) => boolean;
  readonly logger: Logger;
}

export type ControlKind = 'terminate' | 'suspend' | 'resume';

const maxInstanceIdLength = 256;
const terminalStatuses: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated', 'Canceled'];

export class ClientOperations {
  constructor(private readonly options: ClientOperationsOptions) {}

  get taskHubName(): string {
    return this.options.settings.hubName;
  }

  /** Starts an orchestration; `input` is JSON text. Answers the instance id. */
  async start(name: string, instanceId: string | undefined, input: string | undefined, version: string | undefined): Promise<string> {
    if (!this.options.functions.hasOrchestrator(name)) {
      throw new RouterError('INVALID_REQUEST', `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`, {
        details: { function: name },
      });
    }
    const id = instanceId ?? randomUUID().replaceAll('-', '');
    validateInstanceId(id);
    const now = new Date();
    const executionId = randomUUID().replaceAll('-', '');
    const resolvedVersion = version ?? this.options.settings.defaultVersion;
    const row = {
      name,
      ...(resolvedVersion === '' ? {} : { version: resolvedVersion }),
      ...(input === undefined ? {} : { input }),
      runtimeStatus: 'Pending' as const,
      createdTime: now,
      lastUpdatedTime: now,
      executionId,
    };
    try {
      await this.writeStart(id, row);
    } catch (error) {
      if (error instanceof StorageUnavailableError) this.options.store.retractStart(id, executionId, this.options.logger);
      throw error;
    }
    const start = {
      executionId, name, createdTime: now.toISOString(),
      ...(input === undefined ? {} : { input }),
      ...(resolvedVersion === '' ? {} : { version: resolvedVersion }),
    };
    if (!this.options.post(id, { kind: 'start', start })) await this.handToOwner(id, start);
    return id;
  }

  /**
   * A process that does not own the task hub tells its owner through the work table (the owner
   * polls it; a repeated start of the execution is dropped): otherwise the Pending row would wait
   * for the next owner's recovery. A start whose message cannot be written is answered as failed
   * and its Pending row removed.
   */
  private async handToOwner(id: string, start: ExecutionStart & { readonly createdTime: string }): Promise<void> {
    try {
      await this.options.work.put([{ instanceId: id, key: newMessageKey(), body: { kind: 'start', ...start } }]);
    } catch (error) {
      this.options.store.retractStart(id, start.executionId, this.options.logger);
      throw error;
    }
  }

  private async writeStart(id: string, row: InstanceUpdate): Promise<void> {
    // Most starts are of new ids: create first, and look at the existing row only if there is one.
    let written = await this.options.store.createInstance(id, row);
    if (written === undefined) {
      const existing = await this.options.store.readInstance(id);
      if (existing !== undefined && existing.taskHubName !== '' && existing.taskHubName !== this.taskHubName) {
        throw new RouterError('INSTANCE_ID_CONFLICT', `An instance with id "${id}" already exists in task hub "${existing.taskHubName}" of the shared tracking store.`, {
          details: { instanceId: id, taskHubName: existing.taskHubName },
        });
      }
      if (existing !== undefined && !terminalStatuses.includes(existing.runtimeStatus) && !this.options.store.isRetractedStart(id, existing)) {
        throw new RouterError('INSTANCE_EXISTS', `An orchestration instance with id "${id}" is already ${existing.runtimeStatus.toLowerCase()}.`, {
          details: { instanceId: id, runtimeStatus: existing.runtimeStatus },
        });
      }
      written = existing === undefined ? await this.options.store.createInstance(id, row) : await this.options.store.replaceInstance(id, row, existing.etag);
      // The retraction may have deleted the late row between the read and the replace.
      if (written === undefined && existing !== undefined && this.options.store.isRetractedStart(id, existing)) {
        written = await this.options.store.createInstance(id, row);
      }
    }
    if (written === undefined) {
      throw new RouterError('INSTANCE_EXISTS', `An orchestration instance with id "${id}" was started by someone else at the same time.`, {
        details: { instanceId: id },
      });
    }
  }

  /** Raises an event (`input` JSON text) to a running instance. */
  async raiseEvent(instanceId: string, eventName: string, input: string | undefined): Promise<void> {
    await this.requireRunning(instanceId, ['Failed', 'Canceled', 'Terminated', 'Completed']);
    const event: HistoryEvent = {
      EventType: EventType.EventRaised, EventId: -1, Timestamp: new Date().toISOString(), Name: eventName,
      ...(input === undefined ? {} : { Input: input }),
    };
    await this.send(instanceId, { kind: 'event', event });
  }

  async control(instanceId: string, kind: ControlKind, reason: string | undefined): Promise<void> {
    await this.requireRunning(instanceId, terminalStatuses);
    await this.send(instanceId, { kind, ...(reason === undefined ? {} : { reason }) });
  }

  async status(instanceId: string): Promise<InstanceState | undefined> {
    return this.options.store.readInstance(instanceId);
  }

  async history(instanceId: string): Promise<readonly HistoryEvent[]> {
    return (await this.options.store.readHistory(instanceId)).events;
  }

  /** As the extension's HTTP API: every instance in the tracking store, whatever its task hub. */
  async query(query: InstanceQuery, pageSize: number, continuationToken: string | undefined): Promise<InstancePage> {
    return this.options.store.queryInstances(query, pageSize, continuationToken);
  }

  /**
   * Purges one finished instance of this task hub, as the extension's purge of an id: another
   * hub's instance (its app owns it) or an unfinished one is refused with 404, nothing purged.
   */
  async purge(instanceId: string): Promise<void> {
    const instance = await this.options.store.readInstance(instanceId);
    if (instance === undefined) {
      throw new RouterError('INSTANCE_NOT_FOUND', `No orchestration instance has the id "${instanceId}".`, { details: { instanceId } });
    }
    if (instance.taskHubName !== this.taskHubName) {
      throw new RouterError('INSTANCE_NOT_PURGEABLE', `Instance "${instanceId}" belongs to task hub "${instance.taskHubName}", not "${this.taskHubName}": purge it through the app that runs that hub.`, {
        details: { instanceId, taskHubName: instance.taskHubName },
      });
    }
    if (!terminalStatuses.includes(instance.runtimeStatus)) {
      throw new RouterError('INSTANCE_NOT_PURGEABLE', `Instance "${instanceId}" is ${instance.runtimeStatus.toLowerCase()}: only finished instances (Completed, Failed, Terminated) can be purged; terminate it first.`, {
        details: { instanceId, runtimeStatus: instance.runtimeStatus },
      });
    }
    if (!(await this.options.store.deleteInstance(instanceId, instance.etag))) {
      throw new RouterError('INSTANCE_NOT_PURGEABLE', `Instance "${instanceId}" changed while it was being purged (it was restarted or purged by someone else); nothing was purged.`, {
        details: { instanceId },
      });
    }
  }

  /** Purges this task hub's finished instances created in a time range; answers how many. */
  async purgeMany(query: InstanceQuery): Promise<number> {
    const statuses = (query.runtimeStatus ?? terminalStatuses).filter((status) => terminalStatuses.includes(status));
    if (statuses.length === 0) return 0;
    let deleted = 0;
    for await (const instance of this.options.store.listInstances({ ...query, runtimeStatus: statuses, taskHubName: this.taskHubName, showInput: false })) {
      if (await this.options.store.deleteInstance(instance.instanceId, instance.etag)) deleted++;
    }
    return deleted;
  }

  async signalEntity(name: string, key: string, operation: string, input: string | undefined): Promise<void> {
    const entityId = entityInstanceId(name, key);
    if (!this.options.functions.hasEntity(name)) {
      throw new RouterError('INVALID_REQUEST', `The function '${name}' doesn't exist, is disabled, or is not an entity function.`, { details: { function: name } });
    }
    await this.send(entityId, {
      kind: 'entityOperation',
      request: { id: randomUUID(), op: operation, signal: true, ...(input === undefined ? {} : { input }) },
    });
  }

  /** The entity's state as JSON text, or undefined when it does not exist. */
  async readEntity(name: string, key: string): Promise<string | undefined> {
    const row = await this.options.store.readInstance(entityInstanceId(name, key));
    if (row === undefined) return undefined;
    const state = parseEntityState(row.input);
    return state.exists ? state.state ?? 'null' : undefined;
  }

  private async requireRunning(instanceId: string, finished: readonly RuntimeStatus[]): Promise<InstanceState> {
    const instance = await this.options.store.readInstance(instanceId);
    if (instance === undefined || isEntityInstanceId(instanceId)) {
      throw new RouterError('INSTANCE_NOT_FOUND', `No orchestration instance has the id "${instanceId}".`, { details: { instanceId } });
    }
    if (instance.taskHubName !== '' && instance.taskHubName !== this.taskHubName) {
      throw new RouterError('INSTANCE_NOT_FOUND', `Instance "${instanceId}" belongs to task hub "${instance.taskHubName}", not "${this.taskHubName}": send this request to the app that runs that hub.`, {
        details: { instanceId, taskHubName: instance.taskHubName },
      });
    }
    if (finished.includes(instance.runtimeStatus)) {
      throw new RouterError('INSTANCE_NOT_RUNNING', `Instance "${instanceId}" is ${instance.runtimeStatus.toLowerCase()}.`, {
        details: { instanceId, runtimeStatus: instance.runtimeStatus },
      });
    }
    return instance;
  }

  private async send(instanceId: string, body: WorkMessageBody): Promise<void> {
    const message: WorkMessage = { instanceId, key: newMessageKey(), body };
    await this.options.work.put([message]);
    this.options.post(instanceId, { kind: 'work', message });
  }
}

function validateInstanceId(instanceId: string): void {
  if (instanceId.trim() === '' || instanceId.length > maxInstanceIdLength) {
    throw new RouterError('INVALID_REQUEST', `An instance id must have 1 to ${maxInstanceIdLength} characters.`);
  }
  if (instanceId.startsWith('@')) throw new RouterError('INVALID_REQUEST', 'Orchestration instance ids must not start with "@" (reserved for entities).');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(instanceId)) throw new RouterError('INVALID_REQUEST', 'An instance id must not contain control characters.');
}
