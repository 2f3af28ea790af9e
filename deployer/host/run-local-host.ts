/**
 * Runs one Functions app in the local host as its own process:
 *   node dist/deployer/host/run-local-host.js <appDir> [--port N] [--host H]
 *        [--data-dir DIR | --in-memory-storage] [--exit-with-stdin]
 * Storage comes from the environment (AzureWebJobsStorage, ROUTER_STORAGE) or local.settings.json,
 * else an embedded Azurite persisting under <appDir>/.data/azurite (or in memory).
 * Prints one JSON line `{"event":"listening","url":...}` on stdout once it serves requests (and
 * `{"event":"error",...}` if it cannot start); stops cleanly on SIGTERM or SIGINT, and with
 * --exit-with-stdin also when its stdin closes (its parent went away).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isRouterError } from '../../shared/errors/router-error.js';
import { startLocalHost, type LocalHost } from './local-host.js';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a number from 0 to 65535, not "${value}".`);
  return port;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory-storage': { type: 'boolean', default: false },
      'exit-with-stdin': { type: 'boolean', default: false },
    },
  });
  const [appDirArgument] = positionals;
  if (!appDirArgument || positionals.length > 1) throw new Error('Usage: run-local-host <appDir> [--port N] [--host H] [--data-dir DIR | --in-memory-storage] [--exit-with-stdin]');
  const appDir = path.resolve(appDirArgument);
  const port = parsePort(values.port);

  const host: LocalHost = await startLocalHost({
    appDir,
    ...(port === undefined ? {} : { port }),
    ...(values.host ? { host: values.host } : {}),
    azurite: values['in-memory-storage'] ? { inMemory: true } : { location: values['data-dir'] ?? path.join(appDir, '.data', 'azurite') },
  });

  let stopping = false;
  const shutDown = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    host.stop().then(
      () => {
        emit({ event: 'stopped', reason });
        process.exit(0);
      },
      (error: unknown) => {
        emit({ event: 'error', code: 'STOP_FAILED', message: (error as Error)?.message ?? String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutDown('SIGTERM'));
  process.once('SIGINT', () => shutDown('SIGINT'));
  if (values['exit-with-stdin']) {
    process.stdin.on('end', () => shutDown('stdin closed'));
    process.stdin.on('error', () => shutDown('stdin closed'));
    process.stdin.resume();
  }

  emit({
    event: 'listening',
    url: host.url,
    port: host.port,
    taskHubName: host.taskHubName,
    app: host.app,
    functions: host.functions,
    unsupported: host.unsupported,
  });
}

main().catch((error: unknown) => {
  emit({
    event: 'error',
    code: isRouterError(error) ? error.code : 'HOST_START_FAILED',
    message: (error as Error)?.message ?? String(error),
  });
  // The app may have left timers or sockets open; a host that failed to start must not linger.
  process.exit(1);
});
