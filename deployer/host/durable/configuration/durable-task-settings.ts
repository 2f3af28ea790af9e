/**
 * host.json `extensions.durableTask` as the engine uses it, validated once: the task hub, where
 * its state lives, orchestration versioning and concurrency. Keys match case-insensitively, as
 * in the Functions host. Pure: no I/O.
 */
import { RouterError } from '../../../../shared/errors/router-error.js';
import { defaultTrackingStoreNamePrefix, trackingStorePrefixPattern, trackingTableNames, type TrackingTableNames } from '../../../../shared/tracking-store/tracking-store-schema.js';

const defaultHubName = 'TestHubName';
const defaultConnectionName = 'AzureWebJobsStorage';
const hubNamePattern = /^[A-Za-z][A-Za-z0-9]{2,44}$/;

export type VersionMatchStrategy = 'None' | 'Strict' | 'CurrentOrOlder';
export type VersionFailureStrategy = 'Reject' | 'Fail';

export interface DurableTaskSettings {
  readonly hubName: string;
  /** Setting name of the connection holding the task hub's own work (`{hub}Work`). */
  readonly connectionName: string;
  /** Setting name of the connection holding the Instances and History tables. */
  readonly trackingStoreConnectionName: string;
  readonly trackingTables: TrackingTableNames;
  readonly workTable: string;
  /** The task hub's lease (`{hub}Leases`), next to its work table: which host process works the hub. */
  readonly leaseTable: string;
  readonly defaultVersion: string;
  readonly versionMatchStrategy: VersionMatchStrategy;
  readonly versionFailureStrategy: VersionFailureStrategy;
  readonly maxConcurrentActivityFunctions: number;
  readonly maxConcurrentOrchestratorFunctions: number;
}

export function parseDurableTaskSettings(section: Readonly<Record<string, unknown>> | undefined): DurableTaskSettings {
  const durable = section ?? {};
  const provider = objectAt(durable, 'storageProvider');
  const hubName = stringAt(durable, 'hubName') ?? defaultHubName;
  if (!hubNamePattern.test(hubName)) {
    throw new RouterError(
      'INVALID_CONFIGURATION',
      `host.json durableTask.hubName "${hubName}" is not a valid task hub name: use 3 to 45 letters and digits, starting with a letter.`,
    );
  }
  const connectionName = stringAt(provider, 'connectionName') ?? stringAt(provider, 'connectionStringName')
    ?? stringAt(durable, 'azureStorageConnectionStringName') ?? defaultConnectionName;
  const trackingConnection = stringAt(provider, 'trackingStoreConnectionName') ?? stringAt(provider, 'trackingStoreConnectionStringName');
  const prefix = stringAt(provider, 'trackingStoreNamePrefix') ?? defaultTrackingStoreNamePrefix;
  if (trackingConnection !== undefined && !trackingStorePrefixPattern.test(prefix)) {
    throw new RouterError('INVALID_CONFIGURATION', `host.json durableTask.storageProvider.trackingStoreNamePrefix "${prefix}" must be letters and digits, starting with a letter.`);
  }
  return {
    hubName,
    connectionName,
    trackingStoreConnectionName: trackingConnection ?? connectionName,
    // As DurableTask.AzureStorage: a separate tracking store is named by the prefix, shared by every hub that uses it.
    trackingTables: trackingTableNames(trackingConnection === undefined ? hubName : prefix),
    workTable: `${hubName}Work`,
    leaseTable: `${hubName}Leases`,
    defaultVersion: stringAt(durable, 'defaultVersion') ?? '',
    versionMatchStrategy: oneOf(durable, 'versionMatchStrategy', ['None', 'Strict', 'CurrentOrOlder'] as const, 'None'),
    versionFailureStrategy: oneOf(durable, 'versionFailureStrategy', ['Reject', 'Fail'] as const, 'Reject'),
    maxConcurrentActivityFunctions: positiveIntegerAt(durable, 'maxConcurrentActivityFunctions') ?? 64,
    maxConcurrentOrchestratorFunctions: positiveIntegerAt(durable, 'maxConcurrentOrchestratorFunctions') ?? 64,
  };
}

function keyOf(object: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
}

function valueAt(object: Readonly<Record<string, unknown>>, key: string): unknown {
  const found = keyOf(object, key);
  return found === undefined ? undefined : object[found];
}

function objectAt(object: Readonly<Record<string, unknown>>, key: string): Readonly<Record<string, unknown>> {
  const value = valueAt(object, key);
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RouterError('INVALID_CONFIGURATION', `host.json durableTask.${key} must be an object.`);
  }
  return value as Record<string, unknown>;
}

function stringAt(object: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = valueAt(object, key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new RouterError('INVALID_CONFIGURATION', `host.json durableTask setting "${key}" must be a string.`);
  return value;
}

function positiveIntegerAt(object: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = valueAt(object, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RouterError('INVALID_CONFIGURATION', `host.json durableTask.${key} must be a positive whole number.`);
  }
  return value;
}

function oneOf<T extends string>(object: Readonly<Record<string, unknown>>, key: string, allowed: readonly T[], fallback: T): T {
  const value = stringAt(object, key);
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    throw new RouterError('INVALID_CONFIGURATION', `host.json durableTask.${key} must be one of ${allowed.join(', ')}, not "${value}".`);
  }
  return match;
}
