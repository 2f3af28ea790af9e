import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  containerNameProblem, contentShareName, deploymentContainerName, hostIdOf, ownerProblem, packageBlobName, sharedPlanName,
} from '../../../../deployer/platform/azure/azure-names.js';
import { appNameProblem } from '../../../../deployer/platform/platform-input.js';

const appName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/).filter((name) => appNameProblem(name) === undefined);

describe('Azure names', () => {
  it('derives the Functions host id as Azure does: lower-case, 32 characters, no trailing hyphen', () => {
    assert.equal(hostIdOf('dr-default-v1-2'), 'dr-default-v1-2');
    assert.equal(hostIdOf('orders-service-for-the-west-region-v1-2'), 'orders-service-for-the-west-regi');
    assert.equal(hostIdOf('orders-service-for-the-west-reg-v1-2'), 'orders-service-for-the-west-reg');
    assert.equal(hostIdOf('orders-service-for-the-west-reg-v1-3'), hostIdOf('orders-service-for-the-west-reg-v1-2'));
  });

  it('derives valid, distinct deployment container and content share names from any app name', () => {
    fc.assert(fc.property(appName, appName, (a, b) => {
      for (const derive of [deploymentContainerName, contentShareName]) {
        assert.equal(containerNameProblem(derive(a)), undefined, derive(a));
        if (a !== b) assert.notEqual(derive(a), derive(b));
      }
    }));
    assert.match(deploymentContainerName('dr-default-v1-2'), /^deploy-dr-default-v1-2-[0-9a-f]{8}$/);
  });

  it('keeps packages per app and content hash, and the shared plan per router', () => {
    assert.equal(packageBlobName('dr-default-v1-2', 'ab'.repeat(32)), `dr-default-v1-2/${'ab'.repeat(32)}.zip`);
    assert.equal(sharedPlanName('default'), 'durable-router-default');
  });

  it('checks router ids and container names by Azure\'s rules', () => {
    for (const good of ['default', 'another-router', 'r1']) assert.equal(ownerProblem(good), undefined, good);
    for (const bad of ['', '-x', 'x-', 'UPPER', 'a_b', 'a'.repeat(33)]) assert.notEqual(ownerProblem(bad), undefined, bad);
    for (const good of ['abc', 'durable-router-packages', 'a'.repeat(63)]) assert.equal(containerNameProblem(good), undefined, good);
    for (const bad of ['ab', 'a--b', '-ab', 'ab-', 'Abc', 'a'.repeat(64)]) assert.notEqual(containerNameProblem(bad), undefined, bad);
  });
});
