import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateHostSecrets, type HostSecrets } from '../../../../deployer/host/keys/host-secrets.js';
import { acceptedKeys, keyMatches, missingKeyMessage, requirementOfAuthLevel } from '../../../../deployer/host/keys/key-requirement.js';

const secrets: HostSecrets = {
  ...generateHostSecrets(),
  functionKeys: { default: 'function-key-default-0001', other: 'function-key-other-00002' },
  systemKeys: { durabletask_extension: 'system-key-durable-00003', other_extension: 'system-key-other-000004' },
};
const opens = (presented: string | undefined, requirement: Parameters<typeof acceptedKeys>[1]): boolean => keyMatches(presented, acceptedKeys(secrets, requirement));

describe('which key opens what', () => {
  it('maps authLevel as the Functions host does: none means function, unknown levels need the master key', () => {
    assert.equal(requirementOfAuthLevel('anonymous'), 'anonymous');
    assert.equal(requirementOfAuthLevel('Function'), 'function');
    assert.equal(requirementOfAuthLevel('SYSTEM'), 'system');
    assert.equal(requirementOfAuthLevel('admin'), 'admin');
    assert.equal(requirementOfAuthLevel(undefined), 'function');
    assert.equal(requirementOfAuthLevel('user'), 'admin');
  });

  it('opens functions with any function key or the master key, never a system key', () => {
    assert.ok(opens('function-key-default-0001', 'function'));
    assert.ok(opens('function-key-other-00002', 'function'));
    assert.ok(opens(secrets.masterKey, 'function'));
    assert.ok(!opens('system-key-durable-00003', 'function'));
    assert.ok(!opens(undefined, 'function'));
    assert.ok(!opens('', 'function'));
  });

  it('opens the durable API with its system key or the master key only', () => {
    assert.ok(opens('system-key-durable-00003', 'durable-task'));
    assert.ok(opens(secrets.masterKey, 'durable-task'));
    assert.ok(!opens('system-key-other-000004', 'durable-task'));
    assert.ok(!opens('function-key-default-0001', 'durable-task'));
  });

  it('opens system-level functions with any system key, admin ones with the master key only', () => {
    assert.ok(opens('system-key-other-000004', 'system'));
    assert.ok(!opens('function-key-default-0001', 'system'));
    assert.ok(opens(secrets.masterKey, 'admin'));
    assert.ok(!opens('system-key-durable-00003', 'admin'));
    assert.ok(!opens('function-key-default-0001', 'admin'));
  });

  it('matches whole keys only', () => {
    assert.ok(!opens('function-key-default-000', 'function'));
    assert.ok(!opens('function-key-default-00011', 'function'));
    assert.ok(!opens(secrets.masterKey.toUpperCase() === secrets.masterKey ? `${secrets.masterKey}x` : secrets.masterKey.toUpperCase(), 'admin'));
  });

  it('says which key a route needs and how to send it', () => {
    assert.match(missingKeyMessage('durable-task'), /"durabletask_extension" system key or its master key\. Send it in the x-functions-key header or the code query parameter\./);
    assert.match(missingKeyMessage('admin'), /master key/);
    assert.match(missingKeyMessage('function'), /function keys .*or its master key/);
  });
});
