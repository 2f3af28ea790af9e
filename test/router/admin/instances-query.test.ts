import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeInstance, instancePageSize, parseInstancesQuery } from '../../../router/admin/instances-query.js';
import { isRouterError } from '../../../shared/errors/router-error.js';
import { taskHubOf, versionEntry, versionMap } from '../front-door/fixtures/version-maps.js';

const map = versionMap('1.1', versionEntry('1.0', 'draining', ['1.0.0', '1.0.1']), versionEntry('1.1', 'active', ['1.1.0']));

describe('parseInstancesQuery', () => {
  it('asks about every app in the map, a page of the default size, when nothing is given', () => {
    assert.deepEqual(parseInstancesQuery({}, map), {
      taskHubs: [taskHubOf('1.0'), taskHubOf('1.1')], statuses: undefined, name: undefined, createdFrom: undefined, createdTo: undefined,
      top: instancePageSize.default, continuationToken: undefined,
    });
    assert.deepEqual(parseInstancesQuery({}, versionMap(null)).taskHubs, []);
  });

  it('narrows to one app, normalizes statuses and reads dates', () => {
    const query = parseInstancesQuery({ version: '1.0.1', status: 'running, PENDING,Running', name: 'processOrder', createdFrom: '2026-05-01', createdTo: '2026-05-01T12:30:00+02:00', top: '25', continuationToken: 'abc' }, map);
    assert.deepEqual(query, {
      taskHubs: [taskHubOf('1.0')], statuses: ['Running', 'Pending'], name: 'processOrder',
      createdFrom: new Date('2026-05-01T00:00:00.000Z'), createdTo: new Date('2026-05-01T10:30:00.000Z'), top: 25, continuationToken: 'abc',
    });
  });

  it('takes every top from 1 to the maximum and refuses anything else', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: instancePageSize.max }), (top) => parseInstancesQuery({ top: String(top) }, map).top === top));
    fc.assert(fc.property(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: instancePageSize.max + 1 })).map(String), fc.string().filter((text) => !/^\d+$/.test(text)), (outside, junk) => {
      for (const top of [outside, junk]) assert.throws(() => parseInstancesQuery({ top }, map), (error) => isRouterError(error, 'INVALID_REQUEST'));
    }));
  });
});

describe('describeInstance', () => {
  const record = { instanceId: 'i', name: 'n', runtimeStatus: 'Running' as const, createdTime: new Date(0), lastUpdatedTime: new Date(1000), version: '' };

  it('names the version the instance recorded, one of its app\'s', () => {
    const entry10 = map.versions.find((entry) => entry.routeKey === '1.0');
    const patch = entry10?.versions[0] as string;
    assert.equal(describeInstance({ ...record, taskHub: taskHubOf('1.0'), version: patch }, map)?.version, patch);
    assert.equal(describeInstance({ ...record, taskHub: taskHubOf('1.0'), version: '9.9.9' }, map)?.version, null, 'a version not of its app is not believed');
  });

  it('without a recorded version, names the full version only when the app has run one version', () => {
    assert.deepEqual(describeInstance({ ...record, taskHub: taskHubOf('1.1') }, map), {
      instanceId: 'i', name: 'n', routeKey: '1.1', version: '1.1.0', runtimeStatus: 'Running',
      createdTime: '1970-01-01T00:00:00.000Z', lastUpdatedTime: '1970-01-01T00:00:01.000Z', taskHub: taskHubOf('1.1'),
    });
    assert.equal(describeInstance({ ...record, taskHub: taskHubOf('1.0') }, map)?.version, null);
    assert.equal(describeInstance({ ...record, taskHub: 'SomeoneElsesHub' }, map), undefined);
  });
});
