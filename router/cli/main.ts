#!/usr/bin/env node
import { Command, Option } from 'commander';
import { runHostCommand, type HostCommandOptions } from './commands/host-command.js';
import { runInstancesCommand, type InstancesCommandOptions } from './commands/instances-command.js';
import { runReleaseCommand, type ReleaseCommandOptions } from './commands/release-command.js';
import { runServeCommand, type ServeCommandOptions } from './commands/serve-command.js';
import { runStartCommand } from './commands/start-command.js';
import { runCurrentCommand, runDecommissionCommand, runDrainCommand } from './commands/version-commands.js';
import { runVersionsCommand } from './commands/versions-command.js';
import { runVersionNamesCommand, type VersionNamesCommandOptions } from './commands/version-names-command.js';
import { cliVersion } from './cli-version.js';
import { describeFailure, type GlobalOptions } from './global-options.js';
import { releaseStrategies } from '../../shared/versions/release-strategy.js';

const program = new Command()
  .name('durable-router')
  .description('Zero-downtime deployment router and version manager for Azure Durable Functions apps')
  .version(cliVersion())
  .addOption(new Option('--url <url>', 'the router (front door) URL').env('ROUTER_URL').default('http://127.0.0.1:7070'))
  .addOption(new Option('--admin-key <key>', 'the admin key (default: ROUTER_ADMIN_KEY, else .data/admin-key)').env('ROUTER_ADMIN_KEY'))
  .addOption(new Option('--output <format>', 'output format').choices(['table', 'json']).default('table'))
  // `instances --version 1.0` filters by version: the program's own --version is read only before the command.
  .enablePositionalOptions()
  .showHelpAfterError();

/** A command that talks to the router: it takes the global options after its name too. */
function adminCommand(nameAndArguments: string): Command {
  return program.command(nameAndArguments)
    .addOption(new Option('--url <url>', 'the router (front door) URL (default: ROUTER_URL, else http://127.0.0.1:7070)'))
    .addOption(new Option('--admin-key <key>', 'the admin key (default: ROUTER_ADMIN_KEY, else .data/admin-key)'))
    .addOption(new Option('--output <format>', 'output format (default: table)').choices(['table', 'json']));
}

/** Given after the command's name, a global option wins over the one given before it (or its default). */
function globals(command: Command): GlobalOptions {
  const root = program.opts<GlobalOptions>();
  const local = command.opts<Partial<GlobalOptions>>();
  return { url: local.url ?? root.url, adminKey: local.adminKey ?? root.adminKey, output: local.output ?? root.output };
}

program
  .command('start')
  .description('run the embedded stack: storage (Azurite under .data/), the control plane with its apps, and the front door')
  .option('--backends <file>', 'JSON file of versions to release at start when they are not deployed yet (see README)')
  .option('--data-dir <dir>', 'where local data lives', '.data')
  .action((options: { backends?: string; dataDir: string }) => runStartCommand(options));

program
  .command('serve')
  .description('run the front door alone, for production: configured by ROUTER_* environment variables (see the README: From your laptop to Azure); stateless, so run as many as you like')
  .option('--port <port>', 'port to listen on (default: ROUTER_PORT, else 7070)')
  .option('--host <address>', 'address to listen on (default: ROUTER_HOST, else 127.0.0.1; 0.0.0.0 in a container)')
  .option('--workers <n>', 'processes sharing the port, through node:cluster (default: ROUTER_WORKERS, else 1)')
  .action((options: ServeCommandOptions) => runServeCommand(options));

adminCommand('release <version>')
  .description('release a version: a new major.minor gets its own app, a patch is deployed onto its major.minor\'s app')
  .requiredOption('--package <dir|zip|url>', 'the app: a directory (zipped and uploaded), a zip (uploaded), or an https URL the router downloads')
  .addOption(new Option('--strategy <strategy>', 'how the release is made').choices([...releaseStrategies]))
  .option('--no-promote', 'leave the current version as it is (a new major.minor is released active beside it)')
  .option('--wait', 'follow the release to its end: progress, then exit 0 on success, 1 on failure (default when stdout is a terminal)')
  .option('--no-wait', 'print the release id and its status URL, and return at once (default when stdout is not a terminal)')
  .option('--timeout <seconds>', 'how long --wait waits for the release to end', '600')
  .action((version: string, options: ReleaseCommandOptions, command: Command) => runReleaseCommand(version, options, globals(command)));

adminCommand('versions')
  .description('show the version map')
  .action((_options: unknown, command: Command) => runVersionsCommand(globals(command)));

adminCommand('instances')
  .description('list orchestration instances of every version, from the shared tracking store')
  .option('--version <version>', 'only the instances of this major.minor (or full version: its major.minor\'s app)')
  .option('--status <statuses>', 'only these runtime statuses, comma-separated (e.g. Running,Pending)')
  .option('--name <name>', 'only instances of this orchestrator')
  .option('--created-from <time>', 'created at or after (ISO 8601, e.g. 2026-05-01T10:00:00Z)')
  .option('--created-to <time>', 'created at or before (ISO 8601)')
  .option('--top <n>', 'show at most this many instances', '100')
  .option('--all', 'show every matching instance (reads every page)')
  .option('--continuation-token <token>', 'start where an earlier listing stopped')
  .action((options: InstancesCommandOptions, command: Command) => runInstancesCommand(options, globals(command)));

adminCommand('current <majorMinor>')
  .description('make a version current (a rollback when it was draining or drained)')
  .action((routeKey: string, _options: unknown, command: Command) => runCurrentCommand(routeKey, globals(command)));

adminCommand('drain <majorMinor>')
  .description('drain a version now: it takes no new work and is decommissioned once its instances have finished')
  .action((routeKey: string, _options: unknown, command: Command) => runDrainCommand(routeKey, globals(command)));

adminCommand('decommission <majorMinor>')
  .description('delete a drained version\'s app (refused while instances are unfinished, unless --force)')
  .option('--force', 'decommission even with unfinished instances, abandoning them')
  .action((routeKey: string, options: { force?: boolean }, command: Command) => runDecommissionCommand(routeKey, options, globals(command)));

program
  .command('host <appDir>')
  .description('run one Azure Functions app (Node.js v4 model, durable-functions 3.x) in the local host')
  .option('--port <port>', 'port to listen on', '7071')
  .option('--data-dir <dir>', 'where the embedded Azurite keeps its data (default <appDir>/.data/azurite)')
  .option('--require-keys', 'check keys as the Azure Functions host does; they are kept in <data-dir>/secrets (default <appDir>/.data/secrets)')
  .action((appDir: string, options: HostCommandOptions) => runHostCommand(appDir, options));

program
  .command('version-names <appDir>')
  .description('build one app holding the new version under versioned function names (ProcessOrder_v1_3) and the earlier versions\' durable functions under the names their instances replay by (docs/versioned-names.md)')
  .requiredOption('--previous <dir|zip>', 'the app that runs now: a plain app, or an earlier output of version-names')
  .requiredOption('--to <version>', 'the new version (1.3 or 1.3.0)')
  .option('--out <dir>', 'where the migrated app goes (default: <appDir>, rewritten in place)')
  .option('--drop <versions>', 'earlier versions to leave out, comma-separated (e.g. 1.2,1.3): their instances have drained')
  .action((appDir: string, options: VersionNamesCommandOptions) => runVersionNamesCommand(appDir, options));

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${describeFailure(error)}\n`);
  process.exitCode = 1;
});
