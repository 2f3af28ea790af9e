import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withRouterBlobEndpoint } from '../../../router/app-configuration/app-settings.js';
import { devStorageConnectionString } from '../../../shared/storage/azurite.js';

const table = 'http://127.0.0.1:41000/devstoreaccount1';
const blob = 'http://127.0.0.1:41001/devstoreaccount1';
const router = devStorageConnectionString(table, blob);

describe('bringing a router-set storage setting up to the router\'s storage', () => {
  it('gives an app released with the table-only string of the same account the router\'s, and keeps its other settings', () => {
    const settings = { AzureWebJobsStorage: devStorageConnectionString(table), TASKHUB_NAME: 'hub', OWN: 'x' };
    assert.deepEqual(withRouterBlobEndpoint(settings, router), { ...settings, AzureWebJobsStorage: router });
  });

  it('leaves alone an app that already has it, another account or port, its own storage, or no storage setting', () => {
    for (const storage of [
      router,
      devStorageConnectionString('http://127.0.0.1:42000/devstoreaccount1'),
      devStorageConnectionString(table).replace('AccountName=devstoreaccount1', 'AccountName=other'),
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    ]) {
      assert.equal(withRouterBlobEndpoint({ AzureWebJobsStorage: storage }, router), undefined, storage.replace(/AccountKey=[^;]+/, ''));
    }
    assert.equal(withRouterBlobEndpoint({ TASKHUB_NAME: 'hub' }, router), undefined);
  });

  it('changes nothing when the router\'s storage names no Blob endpoint of its own', () => {
    const tableOnly = devStorageConnectionString(table);
    assert.equal(withRouterBlobEndpoint({ AzureWebJobsStorage: tableOnly }, tableOnly), undefined);
  });
});
