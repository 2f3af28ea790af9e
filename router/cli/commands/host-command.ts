import path from 'node:path';
import { parsePort } from '../../../shared/config/router-environment.js';
import { startLocalHost } from '../../../deployer/host/local-host.js';
import { hostSecretsFile } from '../../../deployer/host/keys/host-secrets.js';
import { stopOnSignals } from '../stop-on-signals.js';

export interface HostCommandOptions {
  readonly port: string;
  readonly dataDir?: string | undefined;
  readonly requireKeys?: boolean | undefined;
}

export async function runHostCommand(appDir: string, options: HostCommandOptions): Promise<void> {
  const root = path.resolve(appDir);
  // A developer's tool, like `func start`: keys are checked only when asked for.
  const secretsDir = options.requireKeys === true
    ? path.resolve(options.dataDir === undefined ? path.join(root, '.data', 'secrets') : path.join(options.dataDir, 'secrets'))
    : undefined;
  const host = await startLocalHost({
    appDir: root,
    port: parsePort(options.port, '--port') ?? 7071,
    azurite: { location: path.resolve(options.dataDir ?? path.join(root, '.data', 'azurite')) },
    ...(secretsDir === undefined ? {} : { secretsDir }),
  });
  const lines = [
    `${host.app.name ?? path.basename(root)} ${host.app.version ?? ''} is running at ${host.url} (task hub ${host.taskHubName})`,
    ...host.functions.map((f) => `  ${f.name} [${f.trigger}]`),
    ...host.unsupported.map((u) => `  not supported locally: ${u.function} (${u.bindingType})`),
    secretsDir === undefined
      ? 'Keys are not checked (--require-keys checks them as Azure does).'
      : `Keys are required, as on Azure: the master, function and system keys are in ${hostSecretsFile(secretsDir)} (send one in the x-functions-key header or the code query parameter).`,
    'Ctrl+C stops it. The requests in flight are answered first (Ctrl+C again stops at once).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  stopOnSignals({
    stop: () => host.stop(),
    notify: (message) => process.stderr.write(`${message}\n`),
    onStopFailed: (error) => process.stderr.write(`the host did not stop cleanly: ${(error as Error).message}\n`),
  });
}
