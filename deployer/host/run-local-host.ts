/**
 * Runs one Functions app in the local host as its own process:
 *   node dist/deployer/host/run-local-host.js <appDir> [--port N] [--host H]
 *        [--data-dir DIR | --in-memory-storage] [--secrets-dir DIR] [--exit-with-stdin] [--handed-connections]
 * Storage comes from the environment (AzureWebJobsStorage, ROUTER_STORAGE) or local.settings.json,
 * else an embedded Azurite persisting under <appDir>/.data/azurite (or in memory).
 * With --secrets-dir the host enforces its keys, kept in DIR/host.json (made on first start).
 * Prints one JSON line `{"event":"listening","url":...}` on stdout once it serves requests (and
 * `{"event":"error",...}` if it cannot start); stops cleanly on SIGTERM or SIGINT, and with
 * --exit-with-stdin also when its stdin closes (its parent went away).
 * With --handed-connections (spawned with an IPC channel) its parent holds port N and sends it
 * connections (see parent-channel.ts): it prints `ready` instead of `listening`, and
 * `engine-started` once told to start its durable engine.
 * It prints `task-hub-owned` when its durable engine takes the task hub's lease (it works the hub)
 * and `task-hub-released` when it hands it over or loses it (it then serves the HTTP API only).
 * --durable-lease-ms N shortens the lease (N ms; renewal and looks scale with it): for tests.
 */
import { Socket } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isRouterError } from '../../shared/errors/router-error.js';
import type { LeaseTimings } from './durable/ownership/task-hub-lease.js';
import { startLocalHost, type LocalHost } from './local-host.js';
import { parseParentMessage } from './parent-channel.js';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a number from 0 to 65535, not "${value}".`);
  return port;
}

/** A lease of `value` ms, renewed every fifth of it; for tests, which cannot wait out the default 10 s. */
function leaseTimingsFor(value: string): Partial<LeaseTimings> {
  const durationMs = Number(value);
  if (!Number.isInteger(durationMs) || durationMs < 500) throw new Error(`--durable-lease-ms must be a whole number of milliseconds, at least 500, not "${value}".`);
  return { durationMs, renewMs: durationMs / 5, checkMs: durationMs / 10, marginMs: durationMs / 5, handoverDrainMs: durationMs / 2 };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory-storage': { type: 'boolean', default: false },
      'secrets-dir': { type: 'string' },
      'exit-with-stdin': { type: 'boolean', default: false },
      'handed-connections': { type: 'boolean', default: false },
      'durable-lease-ms': { type: 'string' },
    },
  });
  const [appDirArgument] = positionals;
  if (!appDirArgument || positionals.length > 1) {
    throw new Error('Usage: run-local-host <appDir> [--port N] [--host H] [--data-dir DIR | --in-memory-storage] [--secrets-dir DIR] [--exit-with-stdin] [--handed-connections]');
  }
  const appDir = path.resolve(appDirArgument);
  const port = parsePort(values.port);
  const handed = values['handed-connections'];
  if (handed && process.send === undefined) throw new Error('--handed-connections needs an IPC channel to the parent process that holds the port.');

  // The parent may go away while the app is still starting: then nothing is left to serve or save.
  let shutDown = (_reason: string): void => process.exit(1);
  if (values['exit-with-stdin']) {
    process.stdin.on('end', () => shutDown('stdin closed'));
    process.stdin.on('error', () => shutDown('stdin closed'));
    process.stdin.resume();
  }
  if (handed) process.on('disconnect', () => shutDown('parent gone'));
  // An event line written to a parent that is gone fails (EPIPE): the parent went away too.
  process.stdout.on('error', () => shutDown('stdout closed'));

  const host: LocalHost = await startLocalHost({
    appDir,
    ...(port === undefined ? {} : { port }),
    ...(values.host ? { host: values.host } : {}),
    azurite: values['in-memory-storage'] ? { inMemory: true } : { location: values['data-dir'] ?? path.join(appDir, '.data', 'azurite') },
    handedConnections: handed,
    ...(values['secrets-dir'] === undefined ? {} : { secretsDir: path.resolve(values['secrets-dir']) }),
    ...(values['durable-lease-ms'] === undefined ? {} : { durableLease: leaseTimingsFor(values['durable-lease-ms']) }),
  });
  const ownershipEvent = (owns: boolean): void => emit({ event: owns ? 'task-hub-owned' : 'task-hub-released', taskHubName: host.taskHubName });
  host.onOwnershipChange(ownershipEvent);

  let ending = false;
  const end = (reason: string, ended: Promise<void>): void => {
    if (ending) return;
    ending = true;
    ended.then(
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
  // A stop cuts a drain under way short (host.stop() is idempotent; the drain then ends with it).
  shutDown = (reason) => end(reason, host.stop());
  process.once('SIGTERM', () => shutDown('SIGTERM'));
  process.once('SIGINT', () => shutDown('SIGINT'));
  if (handed) {
    process.on('message', (raw: unknown, handle: unknown) => {
      const message = parseParentMessage(raw);
      if (message?.type === 'connection') {
        if (handle instanceof Socket) host.accept(handle);
      } else if (message?.type === 'start-engine') {
        host.startEngine().then(
          () => emit({ event: 'engine-started' }),
          (error: unknown) => {
            if (ending) return; // it is stopping anyway: that is why the engine did not start
            // A host whose engine cannot run must not go on serving as if it could.
            emit({ event: 'error', code: isRouterError(error) ? error.code : 'ENGINE_START_FAILED', message: (error as Error)?.message ?? String(error) });
            process.exit(1);
          },
        );
      } else if (message?.type === 'drain') {
        end('replaced', host.drain(message.timeoutMs));
      }
    });
  }

  emit({
    event: handed ? 'ready' : 'listening',
    url: host.url,
    port: host.port,
    taskHubName: host.taskHubName,
    app: host.app,
    functions: host.functions,
    unsupported: host.unsupported,
  });
  // A host that is not handed its connections started its engine before listening.
  if (host.ownership().ownsTaskHub) ownershipEvent(true);
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
