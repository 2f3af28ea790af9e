import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOneDeployStatus } from '../../../../deployer/platform/azure/one-deploy-status.js';

describe('OneDeploy status', () => {
  it('reads Kudu\'s numeric status, wrapped by ARM or bare', () => {
    assert.deepEqual(parseOneDeployStatus({ properties: { id: 'd1', status: 1, complete: false } }), { phase: 'in-progress', id: 'd1' });
    assert.deepEqual(parseOneDeployStatus({ properties: { id: 'd1', status: 4, complete: true } }), { phase: 'succeeded', id: 'd1' });
    assert.deepEqual(parseOneDeployStatus({ id: 'd2', status: 3, complete: true, status_text: 'boom at load' }), { phase: 'failed', id: 'd2', message: 'boom at load' });
  });

  it('reads the provisioning state and status words', () => {
    assert.equal(parseOneDeployStatus({ properties: { provisioningState: 'InProgress' } }).phase, 'in-progress');
    assert.equal(parseOneDeployStatus({ properties: { provisioningState: 'Succeeded' } }).phase, 'succeeded');
    assert.deepEqual(parseOneDeployStatus({ properties: { provisioningState: 'Failed', error: { message: 'Package not found.' } } }), { phase: 'failed', id: undefined, message: 'Package not found.' });
    assert.equal(parseOneDeployStatus({ properties: { status: 'RuntimeSuccessful' } }).phase, 'succeeded');
    assert.equal(parseOneDeployStatus({ properties: { status: 'RuntimeFailed', errors: ['worker crashed'] } }).phase, 'failed');
    assert.equal(parseOneDeployStatus({ properties: { complete: true } }).phase, 'succeeded');
  });

  it('reads no status as under way, and a failure without a message as one', () => {
    assert.equal(parseOneDeployStatus(undefined).phase, 'in-progress');
    assert.equal(parseOneDeployStatus({}).phase, 'in-progress');
    assert.deepEqual(parseOneDeployStatus({ status: 3 }), { phase: 'failed', id: undefined, message: 'The service gave no reason.' });
    assert.deepEqual(parseOneDeployStatus({ properties: { status: 3, status_text: '', message: 'OneDeploy', log_url: 'https://x/log' } }), {
      phase: 'failed', id: undefined, message: 'The service gave no reason; its deployment log is at https://x/log.',
    });
  });
});
