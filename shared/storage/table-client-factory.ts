import type { TokenCredential } from '@azure/core-auth';
import {
  AzureNamedKeyCredential, AzureSASCredential, TableClient, TableServiceClient, type TableServiceClientOptions,
} from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import { devStorageConnectionString } from './azurite.js';
import { tableCallBounds, tryTimeoutPolicy, type BoundedTableClientOptions } from './table-call-bounds.js';

/** Where a connection string points, without its secret: safe to log or show. */
export interface TableStorageEndpoint {
  readonly tableUrl: string;
  readonly accountName: string;
  readonly authentication: 'shared-key' | 'sas';
}

interface ParsedConnection extends TableStorageEndpoint {
  readonly credential: AzureNamedKeyCredential | AzureSASCredential;
}

const routerStorageSetting = 'ROUTER_STORAGE';
const defaultEndpointSuffix = 'core.windows.net';
const emulatorTableUrl = 'http://127.0.0.1:10002/devstoreaccount1';
const knownKeys = new Set([
  'defaultendpointsprotocol', 'accountname', 'accountkey', 'endpointsuffix', 'tableendpoint',
  'sharedaccesssignature', 'usedevelopmentstorage', 'developmentstorageproxyuri',
]);
const expectedForm = 'expected "DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=<key>;EndpointSuffix=core.windows.net", '
  + 'optionally with "TableEndpoint=<url>", or "TableEndpoint=<url>;SharedAccessSignature=<sas>"';

/**
 * The Table storage the router uses, from `ROUTER_STORAGE`; undefined when unset (the embedded Azurite).
 * A malformed value fails here, at startup, rather than on the first request.
 */
export function routerStorageFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[routerStorageSetting];
  if (value === undefined || value.trim() === '') return undefined;
  parse(value, routerStorageSetting);
  return value;
}

/** Validates a Table storage connection string and says where it points; errors never echo the key. */
export function describeStorageConnectionString(connectionString: string, settingName = 'The storage connection string'): TableStorageEndpoint {
  const { tableUrl, accountName, authentication } = parse(connectionString, settingName);
  return { tableUrl, accountName, authentication };
}

/**
 * Table storage reached with a Microsoft Entra identity instead of a key: the table endpoint and a
 * token credential (the front door's managed identity on Azure, `DefaultAzureCredential`).
 */
export interface IdentityTableStorage {
  readonly tableUrl: string;
  readonly credential: TokenCredential;
}

/** A connection string (account key or SAS), or an identity-based endpoint. */
export type TableStorage = string | IdentityTableStorage;

/**
 * `options` pass through to the SDK; `retryOptions` and `tryTimeoutMs` replace the bounds of
 * tableCallBounds one by one (e.g. `{ retryOptions: { maxRetries: 0 } }` for a caller that polls).
 * Plain-http endpoints (Azurite) are allowed.
 */
export function createTableClient(storage: TableStorage, tableName: string, options: BoundedTableClientOptions = {}): TableClient {
  if (typeof storage !== 'string') return new TableClient(storage.tableUrl, tableName, storage.credential, boundedOptions(storage.tableUrl, options));
  const { tableUrl, credential } = parse(storage, 'The storage connection string');
  return credential instanceof AzureNamedKeyCredential
    ? new TableClient(tableUrl, tableName, credential, boundedOptions(tableUrl, options))
    : new TableClient(tableUrl, tableName, credential, boundedOptions(tableUrl, options));
}

export function createTableServiceClient(storage: TableStorage, options: BoundedTableClientOptions = {}): TableServiceClient {
  if (typeof storage !== 'string') return new TableServiceClient(storage.tableUrl, storage.credential, boundedOptions(storage.tableUrl, options));
  const { tableUrl, credential } = parse(storage, 'The storage connection string');
  return credential instanceof AzureNamedKeyCredential
    ? new TableServiceClient(tableUrl, credential, boundedOptions(tableUrl, options))
    : new TableServiceClient(tableUrl, credential, boundedOptions(tableUrl, options));
}

function boundedOptions(tableUrl: string, options: BoundedTableClientOptions): TableServiceClientOptions {
  const { tryTimeoutMs, ...sdkOptions } = options;
  const bounded: TableServiceClientOptions = {
    ...sdkOptions,
    retryOptions: {
      maxRetries: tableCallBounds.maxRetries,
      retryDelayInMs: tableCallBounds.retryDelayMs,
      maxRetryDelayInMs: tableCallBounds.maxRetryDelayMs,
      ...sdkOptions.retryOptions,
    },
    additionalPolicies: [
      ...(sdkOptions.additionalPolicies ?? []),
      { policy: tryTimeoutPolicy(tryTimeoutMs ?? tableCallBounds.tryTimeoutMs), position: 'perRetry' },
    ],
  };
  return new URL(tableUrl).protocol === 'http:' ? { ...bounded, allowInsecureConnection: true } : bounded;
}

function parse(connectionString: string, settingName: string): ParsedConnection {
  const invalid = (reason: string): RouterError => new RouterError(
    'INVALID_CONFIGURATION',
    `${settingName} is not a valid Table storage connection string: ${reason}; ${expectedForm}.`,
    { details: { setting: settingName } },
  );
  const parts = splitPairs(connectionString, invalid);

  const development = parts.get('usedevelopmentstorage');
  if (development !== undefined) {
    if (development.toLowerCase() !== 'true') throw invalid('UseDevelopmentStorage must be "true"');
    return parse(devStorageConnectionString(emulatorTableUrl), settingName);
  }

  const accountKey = parts.get('accountkey');
  const sas = parts.get('sharedaccesssignature');
  const tableUrl = tableUrlOf(parts, invalid);
  const accountName = parts.get('accountname') ?? accountNameFromUrl(tableUrl);
  if (!accountName) throw invalid('AccountName is missing');

  if (accountKey !== undefined) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) throw invalid('AccountKey is not base64');
    return { tableUrl, accountName, authentication: 'shared-key', credential: new AzureNamedKeyCredential(accountName, accountKey) };
  }
  if (sas !== undefined) {
    const token = sas.replace(/^\?/, '');
    if (token === '') throw invalid('SharedAccessSignature is empty');
    return { tableUrl, accountName, authentication: 'sas', credential: new AzureSASCredential(token) };
  }
  throw invalid('it has neither AccountKey nor SharedAccessSignature');
}

function splitPairs(connectionString: string, invalid: (reason: string) => RouterError): Map<string, string> {
  const pairs = new Map<string, string>();
  const segments = connectionString.split(';').map((s) => s.trim()).filter((s) => s !== '');
  if (segments.length === 0) throw invalid('it is empty');
  segments.forEach((segment, index) => {
    const equals = segment.indexOf('=');
    // The segment itself is not echoed: it may be (part of) the key.
    if (equals <= 0) throw invalid(`part ${index + 1} is not of the form Name=value`);
    const name = segment.slice(0, equals).trim();
    const key = name.toLowerCase();
    const value = segment.slice(equals + 1).trim();
    if (!knownKeys.has(key) && !key.endsWith('endpoint')) {
      // A name is echoed only if it looks like one: a pasted key with "=" padding also splits into name=value.
      throw invalid(/^[A-Za-z]{1,40}$/.test(name) ? `unknown setting "${name}"` : `part ${index + 1} does not start with a setting name`);
    }
    if (pairs.has(key)) throw invalid(`${name} appears twice`);
    if (value === '') throw invalid(`${name} is empty`);
    pairs.set(key, value);
  });
  return pairs;
}

function tableUrlOf(parts: Map<string, string>, invalid: (reason: string) => RouterError): string {
  const explicit = parts.get('tableendpoint');
  if (explicit !== undefined) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch (error) {
      throw invalid(`TableEndpoint "${explicit.slice(0, 100)}" is not a URL (${(error as Error).message})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('TableEndpoint must be an http or https URL');
    if (url.search !== '' || url.username !== '' || url.password !== '') throw invalid('TableEndpoint must not carry a query or credentials');
    return explicit.replace(/\/+$/, '');
  }
  const protocol = parts.get('defaultendpointsprotocol')?.toLowerCase();
  if (protocol === undefined) throw invalid('it has neither TableEndpoint nor DefaultEndpointsProtocol');
  if (protocol !== 'http' && protocol !== 'https') throw invalid('DefaultEndpointsProtocol must be "http" or "https"');
  const accountName = parts.get('accountname');
  if (accountName === undefined) throw invalid('AccountName is missing');
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) throw invalid(`AccountName "${accountName.slice(0, 40)}" is not a storage account name (3-24 lowercase letters and digits)`);
  const suffix = parts.get('endpointsuffix') ?? defaultEndpointSuffix;
  return `${protocol}://${accountName}.table.${suffix}`;
}

/** The account of an endpoint: "acct" in https://acct.table.core.windows.net, else the first path segment (emulators). */
function accountNameFromUrl(tableUrl: string): string | undefined {
  const url = new URL(tableUrl);
  const hostParts = url.hostname.split('.');
  if (hostParts[1] === 'table') return hostParts[0];
  return url.pathname.split('/').find((segment) => segment !== '');
}
