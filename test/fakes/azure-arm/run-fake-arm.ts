#!/usr/bin/env node
/**
 * Runs a fake ARM until Ctrl+C, for a router (or anything else) in another process:
 *
 *   node dist/test/fakes/azure-arm/run-fake-arm.js [--data-dir .data/fake-arm] [--port 0] [--lro-delay-ms 0]
 *
 * It prints, as shell `export` lines on stdout, the environment a router needs to use it. The token
 * is a test credential of a loopback fake, so printing it is fine. Ctrl+C (or SIGTERM) stops the
 * fake and every site process it runs.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { parsePort } from '../../../shared/config/router-environment.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startFakeArm } from './fake-arm.js';
import { testCaFile } from './sites/test-tls.js';

interface RunOptions {
  readonly dataDir: string;
  readonly port: string;
  readonly lroDelayMs: string;
  readonly subscriptionId?: string;
  readonly syncTriggersStatus: string;
  readonly quiet?: boolean;
}

const program = new Command()
  .name('run-fake-arm')
  .description('a fake Azure Resource Manager on 127.0.0.1 whose sites really run (test/fakes/azure-arm)')
  .option('--data-dir <dir>', 'where the sites live (under the repository, so apps resolve its node_modules)', path.join(repositoryRoot, '.data', 'fake-arm'))
  .option('--port <port>', 'the ARM endpoint\'s port (0: a free one)', '0')
  .option('--lro-delay-ms <ms>', 'how long plan and site creations stay in progress', '0')
  .option('--subscription-id <id>', 'the one subscription it has')
  .addOption(new Option('--sync-triggers-status <status>', 'what syncfunctiontriggers answers: 200 as the live service, 204 as the spec').choices(['200', '204']).default('200'))
  .option('--quiet', 'print only the environment, not the fake\'s and the sites\' logs')
  .action((options: RunOptions) => run(options));

async function run(options: RunOptions): Promise<void> {
  const lroDelayMs = Number(options.lroDelayMs);
  if (!Number.isFinite(lroDelayMs) || lroDelayMs < 0) throw new RouterError('INVALID_CONFIGURATION', `--lro-delay-ms must be a number of milliseconds, not "${options.lroDelayMs}".`);
  const logger = pino({ level: options.quiet === true ? 'silent' : 'info' }, pino.destination(2));
  const fake = await startFakeArm({
    dataDir: path.resolve(options.dataDir),
    port: parsePort(options.port, '--port') ?? 0,
    lroDelayMs,
    ...(options.subscriptionId === undefined ? {} : { subscriptionId: options.subscriptionId }),
    syncTriggersStatus: options.syncTriggersStatus === '204' ? 204 : 200,
    logger,
    ...(options.quiet === true ? {} : { onAppLog: (site: string, line: string) => process.stderr.write(`[${site}] ${line}\n`) }),
  });
  const environment = {
    ROUTER_PLATFORM: 'azure',
    AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
    ROUTER_AZURE_ARM_ENDPOINT: fake.endpoint,
    ROUTER_AZURE_ARM_TOKEN: fake.token,
    NODE_EXTRA_CA_CERTS: testCaFile,
  };
  process.stdout.write(`# A fake Azure Resource Manager listens on ${fake.endpoint}. Ctrl+C stops it and every site it runs.\n`);
  for (const [name, value] of Object.entries(environment)) process.stdout.write(`export ${name}=${shellQuoted(value)}\n`);
  let stopping = false;
  const shutDown = (): void => {
    if (stopping) return;
    stopping = true;
    fake.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`The fake ARM did not stop cleanly: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutDown);
  process.once('SIGTERM', shutDown);
}

function shellQuoted(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
