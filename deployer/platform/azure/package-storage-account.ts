/**
 * The storage account packages are uploaded to, from its connection string. The adapter signs
 * read-only URLs for OneDeploy with the account key, so the string must carry one (a SAS
 * connection string cannot sign). Pure; problems never echo a part of the string.
 */
import { devStorageConnectionString } from '../../../shared/storage/azurite.js';

export interface PackageStorageAccount {
  readonly accountName: string;
  /** Secret. */
  readonly accountKey: string;
  /** e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1, without a trailing slash. */
  readonly blobEndpoint: string;
  /** The connection string as given (secret): Flex apps read their deployment container with it. */
  readonly connectionString: string;
}

export type PackageStorageParse =
  | { readonly ok: true; readonly account: PackageStorageAccount }
  | { readonly ok: false; readonly problem: string };

const emulatorBlobEndpoint = 'http://127.0.0.1:10000/devstoreaccount1';

export function parsePackageStorage(connectionString: string): PackageStorageParse {
  const parts = new Map<string, string>();
  for (const [index, segment] of connectionString.split(';').map((s) => s.trim()).filter((s) => s !== '').entries()) {
    const equals = segment.indexOf('=');
    if (equals <= 0) return { ok: false, problem: `has a part (number ${index + 1}) that is not of the form Name=value` };
    parts.set(segment.slice(0, equals).trim().toLowerCase(), segment.slice(equals + 1).trim());
  }
  if (parts.size === 0) return { ok: false, problem: 'is empty' };
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const emulator = parsePackageStorage(devStorageConnectionString('http://127.0.0.1:10002/devstoreaccount1', emulatorBlobEndpoint));
    return emulator.ok ? { ok: true, account: { ...emulator.account, connectionString } } : emulator;
  }
  const blobEndpoint = blobEndpointOf(parts);
  if (blobEndpoint === undefined) {
    return { ok: false, problem: 'has no blob endpoint (give BlobEndpoint=<url>, or DefaultEndpointsProtocol and AccountName (and EndpointSuffix) without other endpoints)' };
  }
  if (!blobEndpoint.ok) return { ok: false, problem: blobEndpoint.problem };
  const accountKey = parts.get('accountkey');
  if (accountKey === undefined || accountKey === '') {
    return { ok: false, problem: 'has no AccountKey (the router signs read-only package URLs with it; a SharedAccessSignature cannot sign them)' };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) return { ok: false, problem: 'has an AccountKey that is not base64' };
  const accountName = parts.get('accountname') ?? accountNameOf(blobEndpoint.url);
  if (accountName === undefined || accountName === '') return { ok: false, problem: 'has no AccountName' };
  return { ok: true, account: { accountName, accountKey, blobEndpoint: blobEndpoint.url, connectionString } };
}

type EndpointParse = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly problem: string };

function blobEndpointOf(parts: ReadonlyMap<string, string>): EndpointParse | undefined {
  const explicit = parts.get('blobendpoint');
  if (explicit !== undefined) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      return { ok: false, problem: 'has a BlobEndpoint that is not a URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: 'has a BlobEndpoint that is not an http(s) URL' };
    if (url.search !== '' || url.username !== '' || url.password !== '') return { ok: false, problem: 'has a BlobEndpoint with a query or credentials' };
    return { ok: true, url: explicit.replace(/\/+$/, '') };
  }
  // Explicit endpoints for other services without a blob one (an emulator's table-only string): none to derive.
  if ([...parts.keys()].some((name) => name.endsWith('endpoint'))) return undefined;
  const protocol = parts.get('defaultendpointsprotocol')?.toLowerCase();
  const accountName = parts.get('accountname');
  const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
  if (protocol === undefined || accountName === undefined) return undefined;
  if (protocol !== 'https' && protocol !== 'http') return { ok: false, problem: 'has a DefaultEndpointsProtocol other than http or https' };
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) return { ok: false, problem: 'has an AccountName that is not a storage account name (3-24 lower-case letters and digits)' };
  return { ok: true, url: `${protocol}://${accountName}.blob.${suffix}` };
}

/** "acct" in https://acct.blob.core.windows.net, else the first path segment (emulators). */
function accountNameOf(blobEndpoint: string): string | undefined {
  const url = new URL(blobEndpoint);
  const hostParts = url.hostname.split('.');
  if (hostParts[1] === 'blob') return hostParts[0];
  return url.pathname.split('/').find((segment) => segment !== '');
}
