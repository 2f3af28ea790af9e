/**
 * Executes entity episodes: a batch of queued operations through the entity function, then the
 * answers and signals are queued, the new state is written to the entity's Instances row (guarded
 * by its ETag) and the consumed operations are deleted. Operations redelivered after a crash
 * carry request ids the state remembers, so they are not applied twice.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FunctionInvoker } from '../../host-contracts.js';
import {
  applyEntityResult, entityTriggerPayload, failEntityBatch, freshRequests, parseEntityInstanceId, parseEntityState,
  serializeEntityState, emptyEntityState, type EntityBatchOutcome, type EntityState,
} from '../entities/entity-batch.js';
import { EventType } from '../history/history-event.js';
import type { InboxItem } from '../orchestration/inbox-plan.js';
import { CheckpointConflictError } from '../storage/storage-errors.js';
import type { TrackingStore } from '../storage/tracking-store.js';
import { newMessageKey, type EntityOperationRequest, type WorkMessage, type WorkQueue } from '../storage/work-queue.js';
import type { FunctionDirectory } from './function-directory.js';
import type { EpisodeOutcome } from './instance-scheduler.js';
import { NotOwnerError } from './not-owner-error.js';

export interface EntityExecutorOptions {
  readonly store: TrackingStore;
  readonly work: WorkQueue;
  readonly invoker: FunctionInvoker;
  readonly functions: FunctionDirectory;
  readonly post: (instanceId: string, item: InboxItem) => void;
  /** False once this host may no longer work the task hub: nothing more is written. */
  readonly owns: () => boolean;
  readonly logger: Logger;
}

interface CachedEntity {
  state: EntityState;
  etag: string | undefined;
  createdTime: Date;
  executionId: string;
}

const maxBatch = 100;

export class EntityExecutor {
  private readonly cache = new Map<string, CachedEntity>();

  constructor(private readonly options: EntityExecutorOptions) {}

  async process(instanceId: string, items: readonly InboxItem[]): Promise<EpisodeOutcome> {
    const address = parseEntityInstanceId(instanceId);
    const operations: { key: string; request: EntityOperationRequest }[] = [];
    const unusable: string[] = [];
    for (const item of items) {
      if (item.kind !== 'work') continue;
      if (item.message.body.kind === 'entityOperation') operations.push({ key: item.message.key, request: item.message.body.request });
      else unusable.push(item.message.key);
    }
    const batch = operations.slice(0, maxBatch);
    const laterKeys = new Set(operations.slice(maxBatch).map((op) => op.key));
    const later = items.filter((item) => item.kind === 'work' && laterKeys.has(item.message.key));
    const consumed = [...unusable, ...batch.map((op) => op.key)];
    if (address === undefined || batch.length === 0) {
      if (consumed.length > 0) await this.options.work.delete(instanceId, consumed);
      return {};
    }

    const entity = this.cache.get(instanceId) ?? await this.load(instanceId);
    const requests = freshRequests(entity.state, batch.map((op) => op.request));
    if (requests.length > 0) {
      const outcome = await this.run(instanceId, address, entity.state, requests);
      if (!this.options.owns()) throw new NotOwnerError();
      const outbound = this.outboundMessages(outcome);
      if (outbound.length > 0) await this.options.work.put(outbound);
      await this.save(instanceId, address.name, entity, outcome.state);
      for (const message of outbound) this.options.post(message.instanceId, { kind: 'work', message });
    }
    await this.options.work.delete(instanceId, consumed);
    return later.length > 0 ? { held: later, retryAfterMs: 0 } : {};
  }

  private async run(instanceId: string, address: { name: string; key: string }, state: EntityState, requests: EntityOperationRequest[]): Promise<EntityBatchOutcome> {
    const registered = this.options.functions.entity(address.name);
    if (registered === undefined) {
      return failEntityBatch(state, requests, `The function '${address.name}' doesn't exist, is disabled, or is not an entity function.`);
    }
    try {
      const result = await this.options.invoker.invokeDurable(registered, entityTriggerPayload(address, state, requests));
      return applyEntityResult(instanceId, state, requests, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn({ err: error, instanceId }, 'Entity function failed for a whole batch');
      return failEntityBatch(state, requests, message);
    }
  }

  private outboundMessages(outcome: EntityBatchOutcome): WorkMessage[] {
    const now = new Date().toISOString();
    return [
      ...outcome.answers.map((answer): WorkMessage => ({
        instanceId: answer.instanceId,
        key: newMessageKey(),
        body: {
          kind: 'event',
          ...(answer.executionId === undefined ? {} : { executionId: answer.executionId }),
          event: { EventType: EventType.EventRaised, EventId: -1, Timestamp: now, Name: answer.requestId, Input: answer.input },
        },
      })),
      ...outcome.signals.map((signal): WorkMessage => ({
        instanceId: signal.entityId,
        key: newMessageKey(),
        body: { kind: 'entityOperation', request: signal.request },
      })),
    ];
  }

  private async load(instanceId: string): Promise<CachedEntity> {
    const row = await this.options.store.readInstance(instanceId);
    const entity: CachedEntity = row === undefined
      ? { state: emptyEntityState, etag: undefined, createdTime: new Date(), executionId: randomUUID().replaceAll('-', '') }
      : { state: parseEntityState(row.input), etag: row.etag, createdTime: row.createdTime, executionId: row.executionId };
    this.cache.set(instanceId, entity);
    return entity;
  }

  private async save(instanceId: string, name: string, entity: CachedEntity, state: EntityState): Promise<void> {
    const update = {
      name,
      runtimeStatus: 'Running' as const,
      input: serializeEntityState(state),
      customStatus: JSON.stringify({ entityExists: state.exists }),
      createdTime: entity.createdTime,
      lastUpdatedTime: new Date(),
      executionId: entity.executionId,
    };
    const etag = entity.etag === undefined
      ? await this.options.store.createInstance(instanceId, update)
      : await this.options.store.replaceInstance(instanceId, update, entity.etag);
    if (etag === undefined) {
      this.cache.delete(instanceId);
      throw new CheckpointConflictError(`Another writer updated entity "${instanceId}" first.`);
    }
    entity.state = state;
    entity.etag = etag;
  }
}
