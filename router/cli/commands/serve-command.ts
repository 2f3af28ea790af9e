import cluster from 'node:cluster';
import { pino } from 'pino';
import { describeStorageConnectionString } from '../../../shared/storage/table-client-factory.js';
import { serveAsWorker, serveWithWorkers } from '../../serve/front-door-cluster.js';
import { readServeSettings, serveSettingNames, type ServeSettings } from '../../serve/serve-settings.js';
import { serveStandaloneFrontDoor } from '../../serve/standalone-front-door.js';

export interface ServeCommandOptions {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly workers?: string | undefined;
}

/** The front door alone, configured by the environment (see serveSettingNames); options given here win. */
export async function runServeCommand(options: ServeCommandOptions): Promise<void> {
  const given = { [serveSettingNames.port]: options.port, [serveSettingNames.host]: options.host, [serveSettingNames.workers]: options.workers };
  const flags: Record<string, string> = { [serveSettingNames.port]: '--port', [serveSettingNames.host]: '--host', [serveSettingNames.workers]: '--workers' };
  const onCommandLine = Object.entries(given).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const settings = readServeSettings(
    { ...process.env, ...Object.fromEntries(onCommandLine) },
    Object.fromEntries(onCommandLine.map(([name]) => [name, flags[name] as string])),
  );
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  if (cluster.isWorker) {
    await serveAsWorker(() => serveStandaloneFrontDoor(settings, logger, { handleSignals: false }), logger);
    return;
  }
  if (settings.workers === 1) {
    const frontDoor = await serveStandaloneFrontDoor(settings, logger);
    process.stdout.write(banner(frontDoor.url, settings));
    await frontDoor.closed;
    return;
  }
  const serving = await serveWithWorkers({ workers: settings.workers, host: settings.host, logger });
  process.stdout.write(banner(serving.url, settings));
  process.exitCode = await serving.stopped;
}

function banner(url: string, settings: ServeSettings): string {
  const storage = settings.storage.kind === 'identity'
    ? `${settings.storage.tableUrl} (with this process's Azure identity)`
    : describeStorage(settings.storage.connectionString);
  const lines = [
    `durable-router front door listening on ${url}${settings.workers > 1 ? ` (${settings.workers} workers)` : ''}`,
    `  storage        ${storage}`,
    `  control plane  ${settings.controlPlane.url}`,
    ...(settings.publicUrl === undefined ? [] : [`  public URL     ${settings.publicUrl}`]),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function describeStorage(connectionString: string): string {
  const { tableUrl, authentication } = describeStorageConnectionString(connectionString);
  return `${tableUrl} (${authentication === 'sas' ? 'shared access signature' : 'account key'})`;
}
