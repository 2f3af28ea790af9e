/**
 * The shortened soak (`npm run soak -- --short`): releases, a rollback, a broken package and every
 * fault of the full soak once, under load, and the promise held: no failed request a client could
 * not have avoided, no lost or doubled orchestration or event, each finished on its own version.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSoak } from './soak-run.js';
import { shortSoak } from './soak-script.js';

describe('the shortened soak', () => {
  it('keeps every journey and every request of its clients through releases and faults', async () => {
    const said: string[] = [];
    const report = await runSoak({ steps: shortSoak, clients: 4, maxJourneys: 400, say: (line) => said.push(line) });
    assert.deepEqual(report.problems, [], `${said.join('\n')}\n${report.lines.join('\n')}`);
    assert.match(report.lines.join('\n'), /orchestrations: [1-9]\d* started/);
  });
});
