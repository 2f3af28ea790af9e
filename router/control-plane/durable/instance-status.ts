/** Client-side helpers over the durable client (HTTP triggers and activities, not orchestrators). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { RouterError } from '../../../shared/errors/router-error.js';

const unfinished = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

/** The instance's status, or undefined when no instance has that id. */
export async function readStatus(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput: true });
  } catch (error) {
    // durable-functions 3.x reports an unknown instance only as an Error naming the HTTP 404.
    if (error instanceof Error && /HTTP 404/.test(error.message)) return undefined;
    throw error;
  }
}

export function isUnfinished(status: DurableOrchestrationStatus | undefined): boolean {
  return status !== undefined && unfinished.has(String(status.runtimeStatus));
}

/** Starts the orchestration under that id unless an unfinished instance already runs there. */
export async function ensureStarted(client: DurableClient, name: string, instanceId: string, input: unknown): Promise<'started' | 'running'> {
  if (isUnfinished(await readStatus(client, instanceId))) return 'running';
  try {
    await client.startNew(name, { instanceId, input });
    return 'started';
  } catch (error) {
    // Started by someone else between the read and the start: it runs, which is what was wanted.
    if (isUnfinished(await readStatus(client, instanceId))) return 'running';
    throw error;
  }
}

/** Terminates the instance if it is unfinished; true when it was. */
export async function stopIfRunning(client: DurableClient, instanceId: string, reason: string): Promise<boolean> {
  if (!isUnfinished(await readStatus(client, instanceId))) return false;
  try {
    await client.terminate(instanceId, reason);
  } catch (error) {
    // It finished between the read and the terminate: nothing is left to stop.
    if (!isUnfinished(await readStatus(client, instanceId))) return false;
    throw error;
  }
  return true;
}

/** Polls until the instance has finished or the time is up; answers its last status. */
export async function waitForFinish(client: DurableClient, instanceId: string, timeoutMs: number, intervalMs = 50): Promise<DurableOrchestrationStatus> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await readStatus(client, instanceId);
    if (status === undefined) throw new RouterError('INTERNAL', `The orchestration ${instanceId} that was just started cannot be found.`);
    if (!isUnfinished(status) || performance.now() >= deadline) return status;
    await sleep(intervalMs);
  }
}
