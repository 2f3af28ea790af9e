/**
 * Response bodies of the durable HTTP API, shaped as the Durable Functions extension shapes them
 * (StatusResponsePayload, HttpManagementPayload, the client binding's URL templates). Pure.
 */
import { EventType, eventTypeName, type HistoryEvent } from '../history/history-event.js';
import type { InstanceState } from '../storage/tracking-store.js';

export const webhookPath = '/runtime/webhooks/durabletask';
/** The connection the extension names in its URLs when the app uses its default storage. */
const defaultConnectionName = 'Storage';

export interface StatusOptions {
  readonly showInput: boolean;
  readonly history?: readonly HistoryEvent[];
  readonly showHistoryOutput: boolean;
}

export function statusPayload(instance: InstanceState, options: StatusOptions): Record<string, unknown> {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    input: options.showInput ? jsonToken(instance.input) : null,
    customStatus: jsonToken(instance.customStatus),
    output: jsonToken(instance.output),
    createdTime: secondsIso(instance.createdTime),
    lastUpdatedTime: secondsIso(instance.lastUpdatedTime),
    ...(options.history === undefined ? {} : { historyEvents: historyPayload(options.history, options.showInput, options.showHistoryOutput) }),
  };
}

/** A stored JSON text as a JSON value; text that is not JSON (a terminate reason, say) stays a string. */
export function jsonToken(text: string | undefined): unknown {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed === '') return '';
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    // The extension returns such values as they are.
    return text;
  }
}

/** The history as the status API shows it: scheduling events folded into their results, episodes hidden. */
export function historyPayload(events: readonly HistoryEvent[], showInput: boolean, showHistoryOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<string, { index: number; name: string | undefined; timestamp: string; input: string | undefined }>();
  const hidden = new Set<number>();
  const items = events.map((event, index) => {
    const item: Record<string, unknown> = { ...event, EventType: eventTypeName(event.EventType) };
    switch (event.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(`${event.EventType}:${event.EventId}`, { index, name: event.Name, timestamp: event.Timestamp, input: event.Input });
        delete item.Version;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const scheduledType = event.EventType === EventType.TaskCompleted || event.EventType === EventType.TaskFailed
          ? EventType.TaskScheduled : EventType.SubOrchestrationInstanceCreated;
        const origin = scheduled.get(`${scheduledType}:${event.TaskScheduledId ?? -1}`);
        if (origin !== undefined) {
          item.ScheduledTime = origin.timestamp;
          item.FunctionName = origin.name;
          if (showInput) item.Input = origin.input;
          hidden.add(origin.index);
        }
        delete item.TaskScheduledId;
        outputField(item, showHistoryOutput && (event.EventType === EventType.TaskCompleted || event.EventType === EventType.SubOrchestrationInstanceCompleted));
        break;
      }
      case EventType.ExecutionStarted:
        item.FunctionName = event.Name;
        delete item.Name;
        delete item.OrchestrationInstance;
        delete item.ParentInstance;
        delete item.Version;
        break;
      case EventType.ExecutionCompleted:
        outputField(item, showHistoryOutput);
        break;
      case EventType.TimerFired:
        delete item.TimerId;
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        hidden.add(index);
        break;
      default:
        break;
    }
    if (!showInput) delete item.Input;
    delete item.EventId;
    delete item.IsPlayed;
    return item;
  });
  return items.filter((_, index) => !hidden.has(index));
}

function outputField(item: Record<string, unknown>, show: boolean): void {
  if (show) item.Result = jsonToken(typeof item.Result === 'string' ? item.Result : undefined);
  else delete item.Result;
}

/** The extension's `ToString("s") + "Z"`: seconds precision. */
export function secondsIso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The query every URL the API hands out carries; with `code` (the durable extension's system key,
 * when the host enforces keys) a holder of the URL may call it, as with the extension's URLs.
 */
export function requiredQueryStringParameters(taskHubName: string, code?: string): string {
  const key = code === undefined ? '' : `&code=${encodeURIComponent(code)}`;
  return `taskHub=${encodeURIComponent(taskHubName)}&connection=${defaultConnectionName}${key}`;
}

export function managementUrls(origin: string, instanceId: string, taskHubName: string, code?: string): Record<string, string> {
  const base = `${origin}${webhookPath}/instances/${encodeURIComponent(instanceId)}`;
  const query = requiredQueryStringParameters(taskHubName, code);
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?${query}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${base}/terminate?reason={text}&${query}`,
    rewindPostUri: `${base}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${base}?${query}`,
    restartPostUri: `${base}/restart?${query}`,
    suspendPostUri: `${base}/suspend?reason={text}&${query}`,
    resumePostUri: `${base}/resume?reason={text}&${query}`,
  };
}

/** The body of a 202 start response (CreateCheckStatusResponse). */
export function checkStatusPayload(origin: string, instanceId: string, taskHubName: string, code?: string): Record<string, string> {
  const urls = managementUrls(origin, instanceId, taskHubName, code);
  return {
    id: instanceId,
    statusQueryGetUri: urls.statusQueryGetUri as string,
    sendEventPostUri: urls.sendEventPostUri as string,
    terminatePostUri: urls.terminatePostUri as string,
    purgeHistoryDeleteUri: urls.purgeHistoryDeleteUri as string,
    restartPostUri: urls.restartPostUri as string,
    suspendPostUri: urls.suspendPostUri as string,
    resumePostUri: urls.resumePostUri as string,
  };
}

export function creationUrls(origin: string, taskHubName: string, code?: string): Record<string, string> {
  const prefix = `${origin}${webhookPath}/orchestrators/{functionName}[/{instanceId}]`;
  const query = requiredQueryStringParameters(taskHubName, code);
  return {
    createNewInstancePostUri: `${prefix}?${query}`,
    createAndWaitOnNewInstancePostUri: `${prefix}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
  };
}
