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

/** The control plane's host.json, here and in the package that Azure Functions runs. */
export function controlPlaneHostJson(): Record<string, unknown> {
  return {
    version: '2.0',
    // Azure Functions loads the Durable Functions extension from the bundle; the local host has it built in.
    extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
    extensions: {
      http: { routePrefix: 'api' },
      durableTask: { hubName: `%${controlPlaneSettingNames.taskHub}%` },
    },
  };
}

export async function writeControlPlaneAppDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const hostJson = controlPlaneHostJson();
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

export function routerVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
