import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { baseNameOf, orchestratorSettingName, parseVersionedName, versionedName, versionFolder } from '../../../deployer/versioned-names/versioned-name.js';

/** Azure Functions names: a letter, then letters, digits, underscores and hyphens. */
const functionName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,40}$/);
const routeKey = fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })).map(([major, minor]) => `${major}.${minor}`);

describe('versioned names', () => {
  it('reads back the base name and major.minor of every name it makes, multi-digit versions included', () => {
    fc.assert(
      fc.property(functionName, routeKey, (name, version) => {
        const versioned = versionedName(name, version);
        assert.deepEqual(parseVersionedName(versioned), { base: baseNameOf(name, version), routeKey: version });
      }),
    );
  });

  it('is idempotent: a name that has the suffix keeps it, once', () => {
    fc.assert(
      fc.property(functionName, routeKey, (name, version) => {
        assert.equal(versionedName(versionedName(name, version), version), versionedName(name, version));
      }),
    );
  });

  it('keeps apart the names of different versions and different functions', () => {
    fc.assert(
      fc.property(functionName, functionName, routeKey, routeKey, (a, b, va, vb) => {
        fc.pre(baseNameOf(a, va) !== baseNameOf(b, vb) || va !== vb);
        assert.notEqual(versionedName(a, va), versionedName(b, vb));
      }),
    );
  });

  it('names the examples of the docs', () => {
    assert.equal(versionedName('ProcessOrder', '1.3'), 'ProcessOrder_v1_3');
    assert.equal(versionedName('ProcessOrder', '10.12'), 'ProcessOrder_v10_12');
    assert.equal(versionedName('ProcessOrder_v1_2', '1.3'), 'ProcessOrder_v1_2_v1_3');
    assert.equal(parseVersionedName('ProcessOrder'), undefined);
    assert.equal(versionFolder('10.12'), 'versions/v10_12');
    assert.equal(orchestratorSettingName('process-order'), 'DURABLE_ROUTER_ORCHESTRATOR_process_order');
  });
});
