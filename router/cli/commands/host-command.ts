import path from 'node:path';
import { parsePort } from '../../../shared/config/router-environment.js';
import { startLocalHost } from '../../../deployer/host/local-host.js';

export async function runHostCommand(appDir: string, options: { port: string; dataDir?: string | undefined }): Promise<void> {
  const root = path.resolve(appDir);
  const host = await startLocalHost({
    appDir: root,
    port: parsePort(options.port, '--port') ?? 7071,
    azurite: { location: path.resolve(options.dataDir ?? path.join(root, '.data', 'azurite')) },
  });
  const lines = [
    `${host.app.name ?? path.basename(root)} ${host.app.version ?? ''} is running at ${host.url} (task hub ${host.taskHubName})`,
    ...host.functions.map((f) => `  ${f.name} [${f.trigger}]`),
    ...host.unsupported.map((u) => `  not supported locally: ${u.function} (${u.bindingType})`),
    'Ctrl+C stops it.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const shutDown = (): void => {
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`the host did not stop cleanly: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutDown);
  process.once('SIGTERM', shutDown);
}
