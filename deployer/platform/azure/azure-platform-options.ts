/**
 * What an AzurePlatform is built with, validated once: every problem found is named in one
 * INVALID_CONFIGURATION error (never with a secret's value), then the options are resolved with
 * their defaults.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { pino, type Logger } from 'pino';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { ArmRetryOptions } from './arm-clients.js';
import {
  containerNameProblem, locationProblem, normaliseLocation, ownerProblem, resourceGroupProblem, subscriptionIdProblem,
} from './azure-names.js';
import { isPlanSku, type PlanSku } from './hosting-plans.js';
import { loopbackArmEndpointProblem, staticTokenCredential } from './loopback-arm-auth.js';
import { parsePackageStorage, type PackageStorageAccount } from './package-storage-account.js';

export const defaultPackageContainer = 'durable-router-packages';

export interface AzurePlatformOptions {
  readonly subscriptionId: string;
  /** Where the router's apps and plans live; created (never rewritten) when missing. */
  readonly resourceGroup: string;
  /** Azure location of the resource group, plans and apps, e.g. "westeurope". */
  readonly location: string;
  /** FC1 Flex Consumption (default), EP1 Elastic Premium or Y1 Consumption; Linux in every case. */
  readonly planSku?: string;
  /** Which router owns the apps this platform lists and may change (default `default`), as the local platform's owner. */
  readonly owner?: string;
  /** Where packages are uploaded for OneDeploy (and Flex apps' deployment containers are made). */
  readonly packageStorage: {
    /** With a blob endpoint and the account key (secret). */
    readonly connectionString: string;
    /** Default `durable-router-packages`. */
    readonly container?: string;
  };
  /** Default `new DefaultAzureCredential()`. */
  readonly credential?: TokenCredential;
  /** Test setting: a loopback http endpoint for every ARM call (a fake ARM); default Azure's own. */
  readonly armEndpoint?: string;
  /** Test setting, with `armEndpoint` only: the bearer token to send instead of the credential's (secret). */
  readonly armToken?: string;
  /** Interval between polls of long-running operations and deployments (default 2 s). */
  readonly pollIntervalMs?: number;
  /** How long one health probe of an app may take (default 5 s). */
  readonly probeTimeoutMs?: number;
  /** The pipeline's retries of 429 (after Retry-After), 5xx and network errors (SDK defaults: 3, 1 s, 64 s). */
  readonly retry?: Partial<ArmRetryOptions>;
  /** The adapter's own events (names, never secrets); default silent. */
  readonly logger?: Logger;
}

export interface AzurePlatformConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly planSku: PlanSku;
  readonly owner: string;
  readonly packageAccount: PackageStorageAccount;
  readonly packageContainer: string;
  readonly credential: TokenCredential;
  readonly loopbackEndpoint: string | undefined;
  readonly pollIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly retry: ArmRetryOptions;
  readonly logger: Logger;
}

const maxPollIntervalMs = 60_000;
const maxProbeTimeoutMs = 120_000;

export function resolveAzurePlatformOptions(options: AzurePlatformOptions): AzurePlatformConfig {
  const problems: string[] = [];
  const check = (name: string, value: string | undefined, rule: (value: string) => string | undefined): void => {
    if (value === undefined || value.trim() === '') problems.push(`${name} is missing`);
    else {
      const problem = rule(value);
      if (problem !== undefined) problems.push(`${name} ${problem}`);
    }
  };
  check('subscriptionId', options.subscriptionId, subscriptionIdProblem);
  check('resourceGroup', options.resourceGroup, resourceGroupProblem);
  check('location', options.location === undefined ? undefined : normaliseLocation(options.location), locationProblem);
  const planSku = (options.planSku ?? 'FC1').toUpperCase();
  if (!isPlanSku(planSku)) problems.push('planSku must be FC1, EP1 or Y1');
  const owner = options.owner ?? 'default';
  check('owner', owner, ownerProblem);
  const container = options.packageStorage?.container ?? defaultPackageContainer;
  check('packageStorage.container', container, containerNameProblem);
  const storage = options.packageStorage?.connectionString === undefined ? undefined : parsePackageStorage(options.packageStorage.connectionString);
  if (storage === undefined) problems.push('packageStorage.connectionString is missing');
  else if (!storage.ok) problems.push(`packageStorage.connectionString ${storage.problem}`);
  if (options.armEndpoint !== undefined) check('armEndpoint', options.armEndpoint, loopbackArmEndpointProblem);
  if (options.armToken !== undefined) {
    if (options.armEndpoint === undefined) problems.push('armToken is only for a loopback armEndpoint (a test setting); on Azure the credential gives the token');
    if (options.credential !== undefined) problems.push('armToken and credential contradict each other: give one');
    if (options.armToken.trim() === '') problems.push('armToken is empty');
  }
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  if (!isIntegerIn(pollIntervalMs, 1, maxPollIntervalMs)) problems.push(`pollIntervalMs must be a whole number of milliseconds from 1 to ${maxPollIntervalMs}`);
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  if (!isIntegerIn(probeTimeoutMs, 1, maxProbeTimeoutMs)) problems.push(`probeTimeoutMs must be a whole number of milliseconds from 1 to ${maxProbeTimeoutMs}`);
  const retry: ArmRetryOptions = { maxRetries: 3, retryDelayInMs: 1_000, maxRetryDelayInMs: 64_000, ...options.retry };
  if (!isIntegerIn(retry.maxRetries, 0, 20)) problems.push('retry.maxRetries must be a whole number from 0 to 20');
  if (!isIntegerIn(retry.retryDelayInMs, 0, maxPollIntervalMs) || !isIntegerIn(retry.maxRetryDelayInMs, retry.retryDelayInMs, 10 * maxPollIntervalMs)) {
    problems.push('retry.retryDelayInMs and retry.maxRetryDelayInMs must be whole numbers of milliseconds, the first not above the second');
  }
  if (problems.length > 0 || storage === undefined || !storage.ok || !isPlanSku(planSku)) {
    throw new RouterError('INVALID_CONFIGURATION', `The Azure platform's options are not valid: ${problems.join('; ')}.`, { details: { problems } });
  }
  return {
    subscriptionId: options.subscriptionId,
    resourceGroup: options.resourceGroup,
    location: normaliseLocation(options.location),
    planSku,
    owner,
    packageAccount: storage.account,
    packageContainer: container,
    credential: options.armToken !== undefined ? staticTokenCredential(options.armToken) : (options.credential ?? new DefaultAzureCredential()),
    loopbackEndpoint: options.armEndpoint,
    pollIntervalMs,
    probeTimeoutMs,
    retry,
    logger: options.logger ?? pino({ level: 'silent' }),
  };
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
