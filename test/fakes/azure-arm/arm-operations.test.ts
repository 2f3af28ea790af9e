/**
 * The fake serves what arm-operations.json says, as it says it: every operation of the file is
 * either served — reached by the file's method, path (in any casing) and api-version, and refused
 * with any other api-version — or left out on purpose, with a reason.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { catalogueFile } from './operations/operation-catalogue.js';
import { additions, omittedFromCatalogue, servedFromCatalogue } from './operations/served-operations.js';
import { armCall, armErrorOf, startFakeArmForTests } from './fake-arm-for-tests.js';

interface FileOperation {
  readonly operationId: string;
  readonly method: string | null;
  readonly path: string | null;
  readonly apiVersion: string;
}

const fileOperations = (JSON.parse(await readFile(catalogueFile, 'utf8')) as FileOperation[]).filter(
  (entry): entry is FileOperation & { method: string; path: string } => typeof entry.method === 'string' && typeof entry.path === 'string',
);
const fake = await startFakeArmForTests();

/** The template with sample values, its literal segments in the other casing (ARM ignores case). */
function concretePath(template: string): string {
  const values: Record<string, string> = {
    subscriptionId: fake.subscriptionId,
    resourceGroupName: 'no-such-group',
    name: 'no-such-site',
    keyType: 'functionKeys',
    keyName: 'shared',
    functionName: 'info',
    slot: 'staging',
    location: 'westeurope',
    operationId: 'no-such-operation',
    scope: `subscriptions/${fake.subscriptionId}/resourceGroups/no-such-group`,
  };
  return template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param !== null) return values[param[1]!] ?? assert.fail(`no sample value for {${param[1]}}`);
      return segment === segment.toLowerCase() ? segment.toUpperCase() : segment.toLowerCase();
    })
    .join('/');
}

function bodyFor(method: string): unknown {
  return method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : {};
}

async function operationIdOfCall(method: string, path: string, apiVersion: string): Promise<string> {
  await armCall(fake, { method, path, apiVersion, body: bodyFor(method) });
  const last = fake.calls.at(-1);
  assert.ok(last !== undefined);
  return last.operationId;
}

describe('the fake ARM against arm-operations.json', () => {
  it('accounts for every operation of the file: served or left out with a reason, never both', () => {
    const ids = fileOperations.map((entry) => entry.operationId);
    const served = new Set<string>(servedFromCatalogue);
    const omitted = new Set(Object.keys(omittedFromCatalogue));
    for (const id of ids) assert.ok(served.has(id) !== omitted.has(id), `${id} must be either served or omitted`);
    for (const id of [...served, ...omitted]) assert.ok(ids.includes(id), `${id} is not in arm-operations.json`);
    for (const [id, reason] of Object.entries(omittedFromCatalogue)) assert.ok(reason.length > 20, `${id} needs a reason`);
    for (const addition of additions) {
      assert.ok(!ids.includes(addition.operationId), `${addition.operationId} is in the file: serve it from there`);
      assert.ok(addition.note.length > 20, `${addition.operationId} needs a note`);
    }
  });

  for (const entry of fileOperations.filter((operation) => (servedFromCatalogue as readonly string[]).includes(operation.operationId))) {
    it(`routes ${entry.method} ${entry.path} (api-version ${entry.apiVersion}) to ${entry.operationId}, and no other api-version`, async () => {
      const path = concretePath(entry.path);
      assert.equal(await operationIdOfCall(entry.method, path, entry.apiVersion), entry.operationId);
      const wrong = await armCall(fake, { method: entry.method, path, apiVersion: '2016-08-01', body: bodyFor(entry.method) });
      assert.equal(wrong.status, 400);
      if (entry.method !== 'HEAD') {
        assert.deepEqual(armErrorOf(wrong), {
          code: 'InvalidApiVersionParameter',
          message: `The api-version '2016-08-01' is invalid. The supported versions are '${entry.apiVersion}'.`,
        });
      }
      const missing = await armCall(fake, { method: entry.method, path, apiVersion: null, body: bodyFor(entry.method) });
      assert.equal(missing.status, 400);
      if (entry.method !== 'HEAD') assert.equal(armErrorOf(missing).code, 'MissingApiVersionParameter');
    });
  }

  for (const addition of additions) {
    it(`routes the addition ${addition.method} ${addition.template} to ${addition.operationId}`, async () => {
      assert.equal(await operationIdOfCall(addition.method, concretePath(addition.template), addition.apiVersion), addition.operationId);
    });
  }

  for (const [operationId] of Object.entries(omittedFromCatalogue)) {
    const entry = fileOperations.find((operation) => operation.operationId === operationId)!;
    it(`does not serve ${operationId}, which it leaves out`, async () => {
      const answer = await armCall(fake, { method: entry.method, path: concretePath(entry.path), apiVersion: entry.apiVersion, body: bodyFor(entry.method) });
      assert.ok(answer.status === 404 || answer.status === 405, `${operationId} answered ${answer.status}`);
      assert.equal(armErrorOf(answer).code, 'NotServedByFakeArm');
    });
  }
});
