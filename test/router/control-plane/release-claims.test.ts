import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlPlaneTable } from '../../../router/control-plane/storage/control-plane-table.js';
import { ReleaseClaims } from '../../../router/control-plane/storage/release-claims.js';
import { startAzuriteForTests } from '../../fixtures/azurite.js';

const azurite = await startAzuriteForTests();
let tables = 0;
const freshClaims = (): ReleaseClaims => new ReleaseClaims(new ControlPlaneTable(azurite.connectionString, { tableName: `Claims${++tables}` }));
const claim = (releaseId: string, routeKey = '1.2') => ({ routeKey, releaseId, version: `${routeKey}.0`, claimedAt: new Date().toISOString() });

describe('release claims', () => {
  it('lets one release hold a major.minor, again and again, until it lets go', async () => {
    const claims = freshClaims();
    assert.deepEqual(await claims.claim(claim('release-a')), { claimed: true });
    assert.deepEqual(await claims.claim(claim('release-a')), { claimed: true }, 'a resumed release still owns its claim');
    const refused = await claims.claim(claim('release-b'));
    assert.equal(refused.claimed, false);
    assert.equal(!refused.claimed && refused.holder.releaseId, 'release-a');
    assert.deepEqual(await claims.claim(claim('release-c', '1.3')), { claimed: true }, 'another major.minor is free');
    await claims.release('1.2', 'release-b');
    assert.equal((await claims.get('1.2'))?.releaseId, 'release-a', 'only the holder lets go');
    await claims.release('1.2', 'release-a');
    await claims.release('1.2', 'release-a');
    assert.deepEqual(await claims.claim(claim('release-b')), { claimed: true });
  });

  it('gives a major.minor to exactly one of many releases claiming it at once', async () => {
    const claims = freshClaims();
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => claims.claim(claim(`release-${i}`))));
    const winners = outcomes.filter((outcome) => outcome.claimed);
    assert.equal(winners.length, 1);
    const holder = (await claims.get('1.2'))!.releaseId;
    for (const outcome of outcomes) if (!outcome.claimed) assert.equal(outcome.holder.releaseId, holder);
  });

  it('takes over a stale claim only if nobody changed it since it was read', async () => {
    const claims = freshClaims();
    await claims.claim(claim('release-dead'));
    const stale = (await claims.get('1.2'))!;
    const [first, second] = await Promise.all([claims.takeOver(stale, claim('release-x')), claims.takeOver(stale, claim('release-y'))]);
    assert.equal(Number(first) + Number(second), 1, 'one takeover wins');
    assert.match((await claims.get('1.2'))!.releaseId, /^release-[xy]$/);
    assert.equal(await claims.takeOver(stale, claim('release-z')), false);
  });
});
