/** One soak: a fresh router, the first release, clients, the script of releases and faults, the report. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SoakClients } from './soak-clients.js';
import { soakReport, type SoakReport } from './soak-report.js';
import { SoakScript, type SoakStep } from './soak-script.js';
import { SoakStack } from './soak-stack.js';

export interface SoakOptions {
  readonly steps: readonly SoakStep[];
  readonly clients: number;
  readonly maxJourneys: number;
  readonly say: (line: string) => void;
  /** Where the router's log goes (default: the soak's folder, removed afterwards unless the soak broke the promise). */
  readonly logFile?: string;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log: string[] = [];
  const stack = await SoakStack.start((line) => log.push(line));
  const startedAt = Date.now();
  let report: SoakReport | undefined;
  try {
    const script = new SoakScript(stack, options.say);
    await script.run([{ kind: 'release', version: '1.0.0', expect: 'succeeded' }]);
    await stack.routesToAVersion();
    const clients = new SoakClients(stack.frontDoorUrl);
    clients.start(options.clients, options.maxJourneys);
    options.say(`${options.clients} clients started`);
    await script.run(options.steps);
    options.say('the script is done: no new journeys, waiting for those under way');
    await clients.finish();
    report = soakReport(clients.tally, script.tally, Date.now() - startedAt);
    return report;
  } finally {
    if (report === undefined || report.problems.length > 0) {
      const file = options.logFile ?? path.join(path.dirname(stack.workDir), `soak-${startedAt}.log`);
      await writeFile(file, `${log.join('\n')}\n`);
      options.say(`the router's log: ${file}`);
    }
    await stack.stop();
  }
}
