import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../../shared/errors/router-error.js';
import {
  createTableClient, createTableServiceClient, describeStorageConnectionString, routerStorageFromEnvironment,
} from '../../../shared/storage/table-client-factory.js';
import { tableCallBounds } from '../../../shared/storage/table-call-bounds.js';
import { toStorageError } from '../../../shared/storage/table-storage-errors.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';
import { StorageFaultProxy } from '../../fixtures/storage-fault-proxy.js';

const azurite = await startAzuriteForTests();
const key = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=';

function rejectsWithoutLeaking(connectionString: string, reason: RegExp): void {
  assert.throws(() => describeStorageConnectionString(connectionString, 'ROUTER_STORAGE'), (error) => {
    assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
    assert.match(error.message, /^ROUTER_STORAGE is not a valid Table storage connection string/);
    assert.match(error.message, reason);
    assert.ok(!error.message.includes(key), `the key leaked into: ${error.message}`);
    assert.ok(!JSON.stringify(error.toJSON()).includes(key));
    return true;
  });
}

describe('describeStorageConnectionString', () => {
  it('builds the table endpoint of an Azure account from protocol, name and suffix', () => {
    assert.deepEqual(
      describeStorageConnectionString(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key};EndpointSuffix=core.chinacloudapi.cn`),
      { tableUrl: 'https://acct01.table.core.chinacloudapi.cn', accountName: 'acct01', authentication: 'shared-key' },
    );
    assert.equal(
      describeStorageConnectionString(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key}`).tableUrl,
      'https://acct01.table.core.windows.net',
    );
  });

  it('prefers an explicit TableEndpoint, trims its slash and reads keys case-insensitively', () => {
    assert.deepEqual(
      describeStorageConnectionString(`accountname=devstoreaccount1; accountkey=${key} ;TABLEENDPOINT=http://127.0.0.1:10002/devstoreaccount1/;`),
      { tableUrl: 'http://127.0.0.1:10002/devstoreaccount1', accountName: 'devstoreaccount1', authentication: 'shared-key' },
    );
  });

  it('accepts a SAS connection string and takes the account from the endpoint', () => {
    assert.deepEqual(
      describeStorageConnectionString('TableEndpoint=https://acct02.table.core.windows.net/;SharedAccessSignature=?sv=2022-11-02&sig=abc%3D'),
      { tableUrl: 'https://acct02.table.core.windows.net', accountName: 'acct02', authentication: 'sas' },
    );
  });

  it('maps UseDevelopmentStorage=true to the emulator', () => {
    assert.equal(describeStorageConnectionString('UseDevelopmentStorage=true').tableUrl, 'http://127.0.0.1:10002/devstoreaccount1');
  });

  it('ignores other services\' endpoints', () => {
    assert.equal(
      describeStorageConnectionString(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key};BlobEndpoint=https://x.blob.core.windows.net`).accountName,
      'acct01',
    );
  });

  it('refuses malformed strings with a reason and never echoes the key', () => {
    rejectsWithoutLeaking('', /it is empty/);
    rejectsWithoutLeaking(' ; ;', /it is empty/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;${key}`, /part 3 does not start with a setting name/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;${key.replace(/=+$/, '')}`, /part 3 is not of the form Name=value/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;AcountKey=${key}`, /unknown setting "AcountKey"/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key};AccountKey=${key}`, /AccountKey appears twice/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=`, /AccountKey is empty/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key}!`, /AccountKey is not base64/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=ftp;AccountName=acct01;AccountKey=${key}`, /DefaultEndpointsProtocol must be "http" or "https"/);
    rejectsWithoutLeaking(`AccountName=acct01;AccountKey=${key}`, /neither TableEndpoint nor DefaultEndpointsProtocol/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountKey=${key}`, /AccountName is missing/);
    rejectsWithoutLeaking(`DefaultEndpointsProtocol=https;AccountName=Bad_Name;AccountKey=${key}`, /AccountName "Bad_Name" is not a storage account name/);
    rejectsWithoutLeaking(`AccountName=acct01;AccountKey=${key};TableEndpoint=not a url`, /TableEndpoint "not a url" is not a URL/);
    rejectsWithoutLeaking(`AccountName=acct01;AccountKey=${key};TableEndpoint=ftp://host/acct01`, /TableEndpoint must be an http or https URL/);
    rejectsWithoutLeaking(`AccountName=acct01;AccountKey=${key};TableEndpoint=https://host/acct01?sig=1`, /must not carry a query/);
    rejectsWithoutLeaking('DefaultEndpointsProtocol=https;AccountName=acct01', /neither AccountKey nor SharedAccessSignature/);
    rejectsWithoutLeaking('UseDevelopmentStorage=yes', /UseDevelopmentStorage must be "true"/);
  });
});

describe('routerStorageFromEnvironment', () => {
  it('is undefined when ROUTER_STORAGE is unset or blank (the embedded Azurite)', () => {
    assert.equal(routerStorageFromEnvironment({}), undefined);
    assert.equal(routerStorageFromEnvironment({ ROUTER_STORAGE: '  ' }), undefined);
  });

  it('returns a valid value and names ROUTER_STORAGE when it is malformed', () => {
    const valid = `DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=${key}`;
    assert.equal(routerStorageFromEnvironment({ ROUTER_STORAGE: valid }), valid);
    assert.throws(() => routerStorageFromEnvironment({ ROUTER_STORAGE: `AccountKey=${key}` }), (error) => {
      assert.ok(isRouterError(error, 'INVALID_CONFIGURATION'));
      assert.match(error.message, /^ROUTER_STORAGE /);
      assert.deepEqual(error.details, { setting: 'ROUTER_STORAGE' });
      assert.ok(!error.message.includes(key));
      return true;
    });
  });
});

describe('table clients against Azurite over http', () => {
  it('create working service and table clients from a connection string', async () => {
    await createTableServiceClient(azurite.connectionString).createTable('FactoryCheck');
    const table = createTableClient(azurite.connectionString, 'FactoryCheck');
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', n: 1 });
    assert.equal((await table.getEntity<{ n: number }>('p', 'r')).n, 1);
  });
});

describe('table clients against a stalled Azurite', () => {

  it('give up on a try that gets no answer, retry it once, and say so as STORE_UNAVAILABLE', { timeout: 60_000 }, async (t) => {
    const proxy = await StorageFaultProxy.start(azurite.port);
    t.after(() => proxy.close());
    await createTableServiceClient(azurite.connectionString).createTable('StallCheck');
    const table = createTableClient(proxy.connectionString, 'StallCheck', { tryTimeoutMs: 300 });
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', n: 1 });
    proxy.stall();
    const before = proxy.requests;
    const failure = await table.getEntity('p', 'r').then(() => undefined, (error: unknown) => error);
    assert.ok(proxy.stalled, 'the call ended while storage was still stalled');
    assert.equal(proxy.requests - before, tableCallBounds.maxRetries + 1);
    const mapped = toStorageError(failure, 'read the check row');
    assert.equal(mapped.code, 'STORE_UNAVAILABLE');
    assert.equal(mapped.message, 'Could not read the check row: the storage account did not answer within 0.3 s.');
    await proxy.resume();
    assert.equal((await table.getEntity<{ n: number }>('p', 'r')).n, 1);
  });

  it('bound every try by default, also for a caller that turned retries off', { timeout: 60_000 }, async (t) => {
    const proxy = await StorageFaultProxy.start(azurite.port);
    t.after(() => proxy.close());
    const table = createTableClient(proxy.connectionString, 'StallCheck', { retryOptions: { maxRetries: 0 } });
    proxy.stall();
    const failure = await table.getEntity('p', 'r').then(() => undefined, (error: unknown) => error);
    assert.ok(proxy.stalled);
    assert.equal(proxy.requests, 1);
    assert.deepEqual(toStorageError(failure, 'read').details, { timeoutMs: tableCallBounds.tryTimeoutMs });
  });
});
