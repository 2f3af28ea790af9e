/**
 * `npm run soak`: the router under load while it is released again and again and broken on
 * purpose, on this machine (loopback only), bounded in time and journeys. Prints what it did and
 * found; exits 1 when it broke the promise (a failed request a client could not have avoided, a
 * lost or doubled orchestration or event, one that finished on another version).
 *   --short              every kind of step once, the course `npm test` runs (about a minute)
 *   --clients <n>        concurrent clients (default 8)
 *   --max-journeys <n>   at most this many orchestrations (default 5000)
 */
import { parseArgs } from 'node:util';
import { runSoak } from './soak-run.js';
import { fullSoak, shortSoak } from './soak-script.js';

const { values } = parseArgs({
  options: { short: { type: 'boolean', default: false }, clients: { type: 'string', default: '8' }, 'max-journeys': { type: 'string', default: '5000' } },
});
const clients = Number(values.clients);
const maxJourneys = Number(values['max-journeys']);
if (!Number.isInteger(clients) || clients < 1 || !Number.isInteger(maxJourneys) || maxJourneys < 1) {
  console.error('--clients and --max-journeys take positive whole numbers.');
  process.exit(2);
}
const report = await runSoak({ steps: values.short ? shortSoak : fullSoak, clients, maxJourneys, say: (line) => console.log(line) });
for (const line of report.lines) console.log(line);
if (report.problems.length > 0) {
  console.log(`\n${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}:`);
  for (const problem of report.problems.slice(0, 50)) console.log(`  ${problem}`);
  process.exitCode = 1;
}
