import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityNamesOf } from '../../../deployer/platform/function-bindings.js';

describe('entity names from a function listing', () => {
  it('names the functions with an entity trigger, lower case and once, whatever else the listing holds', () => {
    assert.deepEqual(entityNamesOf([
      { name: 'orderCounter', config: { bindings: [{ type: 'entityTrigger', direction: 'in', name: 'context' }] } },
      { name: 'ordercounter', config: { bindings: [{ type: 'EntityTrigger' }] } },
      { name: 'startOrder', config: { bindings: [{ type: 'httpTrigger' }, { type: 'durableClient' }] } },
      { name: 'noConfig' },
      { name: 'oddConfig', config: { bindings: 'not a list' } },
      { name: 'nullBinding', config: { bindings: [null, 3] } },
    ]), ['ordercounter']);
  });
});
