/**
 * The DurableTask.AzureStorage tracking-store schema ({prefix}Instances, {prefix}History).
 * Apps that share a connection and prefix share these tables, each keeping its own task hub;
 * the router reads them to know which hub (and so which app) owns an instance.
 */

export const runtimeStatuses = [
  'Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Suspended',
] as const;
export type RuntimeStatus = (typeof runtimeStatuses)[number];

/** Statuses of an instance that has not finished: it still needs its app. */
export const activeRuntimeStatuses: readonly RuntimeStatus[] = ['Pending', 'Running', 'Suspended'];

export const defaultTrackingStoreNamePrefix = 'DurableTask';

/** What the extension accepts as `trackingStoreNamePrefix`: table names are the prefix plus Instances or History. */
export const trackingStorePrefixPattern = /^[A-Za-z][A-Za-z0-9]{0,49}$/;

export interface TrackingTableNames {
  readonly instances: string;
  readonly history: string;
}

export function trackingTableNames(prefix: string): TrackingTableNames {
  return { instances: `${prefix}Instances`, history: `${prefix}History` };
}

/** An Instances row as DurableTask.AzureStorage writes it (PartitionKey = escaped id, RowKey = ""). */
export interface InstanceRow {
  readonly partitionKey: string;
  readonly rowKey: '';
  readonly Name: string;
  readonly Version?: string;
  readonly Input?: string;
  readonly Output?: string;
  readonly CustomStatus?: string;
  readonly RuntimeStatus: RuntimeStatus;
  readonly CreatedTime: Date;
  readonly LastUpdatedTime: Date;
  readonly CompletedTime?: Date;
  readonly ExecutionId: string;
  readonly Generation?: number;
  readonly Tags?: string;
  readonly ScheduledStartTime?: Date;
  readonly TaskHubName: string;
}

const escapes: Record<string, string> = { '^': '^^', '/': '^0', '\\': '^1', '#': '^2', '?': '^3' };
const unescapes: Record<string, string> = { '^': '^', '0': '/', '1': '\\', '2': '#', '3': '?' };
// Table keys cannot hold control characters either: DurableTask.AzureStorage (Tracking/KeySanitation.cs)
// writes each as "^" followed by the character shifted up by U+00C0.
const controlShift = 0xc0;

/** Escapes an instance id into a Table key, as DurableTask.AzureStorage does. */
export function escapeKey(instanceId: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return instanceId.replace(/[\^/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => escapes[c] ?? `^${String.fromCharCode(c.charCodeAt(0) + controlShift)}`);
}

export function unescapeKey(key: string): string {
  return key.replace(/\^([\s\S])/g, (_, c: string) => {
    const code = c.charCodeAt(0);
    return unescapes[c] ?? (code >= controlShift ? String.fromCharCode(code - controlShift) : c);
  });
}
