/**
 * Durable entities, decided without I/O. An entity is the instance `@name@key` (name lower-cased,
 * as the library and the extension address it); its state lives in that instance's Instances row.
 * Each episode runs a batch of queued operations through the entity function and turns the result
 * into the new state, answers to calling orchestrations and signals to other entities.
 */
import { deterministicGuid } from '../orchestration/deterministic-id.js';
import type { EntityOperationRequest } from '../storage/work-queue.js';

export interface EntityAddress {
  readonly name: string;
  readonly key: string;
}

/** Persisted entity state; recent request ids let a redelivered operation be recognised and skipped. */
export interface EntityState {
  readonly exists: boolean;
  /** JSON text of the state, as the entity function stores it. */
  readonly state?: string;
  readonly recentRequestIds: readonly string[];
}

export interface EntityAnswer {
  readonly instanceId: string;
  readonly executionId?: string;
  /** The EventRaised name the caller waits on. */
  readonly requestId: string;
  /** ResponseMessage JSON: { result, exceptionType? }. */
  readonly input: string;
}

export interface EntitySignal {
  readonly entityId: string;
  readonly request: EntityOperationRequest;
}

export interface EntityBatchOutcome {
  readonly state: EntityState;
  readonly answers: readonly EntityAnswer[];
  readonly signals: readonly EntitySignal[];
}

const rememberedRequestIds = 200;
export const emptyEntityState: EntityState = { exists: false, recentRequestIds: [] };

export function isEntityInstanceId(instanceId: string): boolean {
  return instanceId.startsWith('@') && instanceId.indexOf('@', 1) > 0;
}

export function entityInstanceId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntityInstanceId(instanceId: string): EntityAddress | undefined {
  if (!isEntityInstanceId(instanceId)) return undefined;
  const at = instanceId.indexOf('@', 1);
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}

export function parseEntityState(text: string | undefined): EntityState {
  if (text === undefined || text === '') return emptyEntityState;
  try {
    const value = JSON.parse(text) as { exists?: unknown; state?: unknown; recent?: unknown };
    return {
      exists: value.exists === true,
      ...(typeof value.state === 'string' ? { state: value.state } : {}),
      recentRequestIds: Array.isArray(value.recent) ? value.recent.filter((id): id is string => typeof id === 'string') : [],
    };
  } catch {
    // Not a state this host wrote: treat the entity as new rather than failing every operation.
    return emptyEntityState;
  }
}

export function serializeEntityState(state: EntityState): string {
  return JSON.stringify({ exists: state.exists, ...(state.state === undefined ? {} : { state: state.state }), recent: state.recentRequestIds });
}

/** Operations not seen before, in order (a redelivered message shares its request id with the original). */
export function freshRequests(state: EntityState, requests: readonly EntityOperationRequest[]): EntityOperationRequest[] {
  const seen = new Set(state.recentRequestIds);
  return requests.filter((request) => {
    if (seen.has(request.id)) return false;
    seen.add(request.id);
    return true;
  });
}

/** The entityTrigger payload the extension sends. */
export function entityTriggerPayload(address: EntityAddress, state: EntityState, requests: readonly EntityOperationRequest[]): Record<string, unknown> {
  return {
    self: { name: address.name, key: address.key },
    exists: state.exists,
    ...(state.state === undefined ? {} : { state: state.state }),
    batch: requests.map((request) => ({
      id: request.id, name: request.op, signal: request.signal, ...(request.input === undefined ? {} : { input: request.input }),
    })),
  };
}

/** Applies what the entity function returned for a batch. */
export function applyEntityResult(
  entityId: string,
  state: EntityState,
  requests: readonly EntityOperationRequest[],
  result: unknown,
): EntityBatchOutcome {
  const value = (typeof result === 'object' && result !== null ? result : {}) as {
    entityExists?: unknown; entityState?: unknown; results?: unknown; signals?: unknown;
  };
  const results = Array.isArray(value.results) ? value.results as unknown[] : [];
  const answers: EntityAnswer[] = [];
  requests.forEach((request, index) => {
    if (request.signal || request.parent === undefined) return;
    const operation = (results[index] ?? {}) as { isError?: unknown; result?: unknown };
    answers.push(answerFor(request, typeof operation.result === 'string' ? operation.result : undefined, operation.isError === true));
  });
  const signals: EntitySignal[] = [];
  const rawSignals = Array.isArray(value.signals) ? value.signals as unknown[] : [];
  rawSignals.forEach((raw, index) => {
    const signal = (raw ?? {}) as { target?: { name?: unknown; key?: unknown }; name?: unknown; input?: unknown; requestId?: unknown };
    if (typeof signal.target?.name !== 'string' || typeof signal.target.key !== 'string' || typeof signal.name !== 'string') return;
    signals.push({
      entityId: entityInstanceId(signal.target.name, signal.target.key),
      request: {
        id: deterministicGuid(`${entityId}\n${String(signal.requestId)}\n${index}`),
        op: signal.name,
        signal: true,
        ...(typeof signal.input === 'string' && signal.input !== '' ? { input: signal.input } : {}),
        parent: entityId,
      },
    });
  });
  const exists = value.entityExists === true;
  return {
    state: {
      exists,
      ...(exists && typeof value.entityState === 'string' ? { state: value.entityState } : {}),
      recentRequestIds: remember(state.recentRequestIds, requests),
    },
    answers,
    signals,
  };
}

/** The entity function itself failed: every call in the batch gets the error, the state is unchanged. */
export function failEntityBatch(state: EntityState, requests: readonly EntityOperationRequest[], message: string): EntityBatchOutcome {
  return {
    state: { ...state, recentRequestIds: remember(state.recentRequestIds, requests) },
    answers: requests.filter((request) => !request.signal && request.parent !== undefined)
      .map((request) => answerFor(request, JSON.stringify(message), true)),
    signals: [],
  };
}

function answerFor(request: EntityOperationRequest, result: string | undefined, isError: boolean): EntityAnswer {
  return {
    instanceId: request.parent as string,
    ...(request.parentExecution === undefined ? {} : { executionId: request.parentExecution }),
    requestId: request.id,
    input: JSON.stringify({ ...(result === undefined ? {} : { result }), ...(isError ? { exceptionType: 'Error' } : {}) }),
  };
}

function remember(previous: readonly string[], requests: readonly EntityOperationRequest[]): string[] {
  return [...previous, ...requests.map((request) => request.id)].slice(-rememberedRequestIds);
}
