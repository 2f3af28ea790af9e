#!/usr/bin/env node
import { Command, Option } from 'commander';
import { isRouterError } from '../../shared/errors/router-error.js';
import { runHostCommand } from './commands/host-command.js';
import { runStartCommand } from './commands/start-command.js';
import { runVersionsCommand } from './commands/versions-command.js';
import { cliVersion } from './cli-version.js';

const program = new Command()
  .name('durable-router')
  .description('Zero-downtime deployment router and version manager for Azure Durable Functions apps')
  .version(cliVersion())
  .addOption(new Option('--url <url>', 'the router (front door) URL').env('ROUTER_URL').default('http://127.0.0.1:7070'))
  .addOption(new Option('--admin-key <key>', 'the admin key (default: ROUTER_ADMIN_KEY, else .data/admin-key)').env('ROUTER_ADMIN_KEY'))
  .addOption(new Option('--output <format>', 'output format').choices(['table', 'json']).default('table'))
  .showHelpAfterError();

program
  .command('start')
  .description('run the embedded stack: storage (Azurite under .data/), the control plane with its apps, and the front door')
  .option('--backends <file>', 'JSON file of versions to release at start when they are not deployed yet (see README)')
  .option('--data-dir <dir>', 'where local data lives', '.data')
  .action((options: { backends?: string; dataDir: string }) => runStartCommand(options));

program
  .command('versions')
  .description('show the version map')
  .action(() => runVersionsCommand(program.opts()));

program
  .command('host <appDir>')
  .description('run one Azure Functions app (Node.js v4 model, durable-functions 3.x) in the local host')
  .option('--port <port>', 'port to listen on', '7071')
  .option('--data-dir <dir>', 'where the embedded Azurite keeps its data (default <appDir>/.data/azurite)')
  .action((appDir: string, options: { port: string; dataDir?: string }) => runHostCommand(appDir, options));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (isRouterError(error)) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
});
