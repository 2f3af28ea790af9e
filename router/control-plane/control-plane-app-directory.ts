/**
 * The control plane is a Functions app like any other; the local host loads it from an app
 * directory. That directory is written at start (host.json, and a package.json whose `main` is the
 * compiled entry point), so it works from a checkout and from an installed package alike.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlPlaneSettingNames } from './control-plane-settings.js';

const entryPoint = fileURLToPath(new URL('./functions.js', import.meta.url));

export async function writeControlPlaneAppDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const hostJson = {
    version: '2.0',
    extensions: {
      http: { routePrefix: 'api' },
      durableTask: { hubName: `%${controlPlaneSettingNames.taskHub}%` },
    },
  };
  const packageJson = {
    name: 'durable-router-control-plane',
    version: routerVersion(),
    private: true,
    type: 'module',
    main: entryPoint,
  };
  await writeFile(path.join(dir, 'host.json'), `${JSON.stringify(hostJson, null, 2)}\n`);
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
}

function routerVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
