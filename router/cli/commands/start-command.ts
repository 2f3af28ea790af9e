import path from 'node:path';
import { pino } from 'pino';
import { readRouterEnvironment } from '../../../shared/config/router-environment.js';
import { parseTrustedProxies } from '../../front-door/trusted-proxies.js';
import { devStorageConnectionString } from '../../../shared/storage/azurite.js';
import { readBackendsFile } from '../../embedded/backends-file.js';
import { readAzurePlatformSettings } from '../../../deployer/platform/azure/azure-platform-settings.js';
import { azurePlatformEnvironment } from '../../embedded/azure-platform-environment.js';
import { startEmbeddedStack } from '../../embedded/embedded-stack.js';
import { keptKeyFile, type KeptKey } from '../../embedded/kept-keys.js';
import { stopOnSignals } from '../stop-on-signals.js';

/** Where releases may name packages by path: ROUTER_PACKAGE_DIRS (path-delimited), else the working directory. */
function packageDirectories(): string[] {
  const listed = (process.env.ROUTER_PACKAGE_DIRS ?? '').split(path.delimiter).filter((dir) => dir.trim() !== '');
  return (listed.length > 0 ? listed : [process.cwd()]).map((dir) => path.resolve(dir));
}

export async function runStartCommand(options: { backends?: string | undefined; dataDir: string }): Promise<void> {
  const environment = readRouterEnvironment();
  parseTrustedProxies(environment.trustedProxies);
  // Refused here, before anything starts, with the message the control plane would give.
  // Without storage of its own, the packages go to the embedded Azurite's blob service: any dev account string stands in for it.
  if (environment.platform === 'azure') readAzurePlatformSettings({ ...process.env, ...(environment.storage === undefined ? { ROUTER_STORAGE: devStorageConnectionString('http://127.0.0.1:1/devstoreaccount1', 'http://127.0.0.1:2/devstoreaccount1') } : {}) });
  const givenKeys: Record<KeptKey, string | undefined> = {
    admin: environment.adminKey, function: environment.functionKey, durable: environment.durableKey, secrets: environment.secretsKey,
  };
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const backends = options.backends === undefined ? undefined : await readBackendsFile(options.backends);
  const stack = await startEmbeddedStack({
    dataDir: path.resolve(options.dataDir),
    port: environment.port,
    keys: givenKeys,
    storage: environment.storage,
    packageDirs: packageDirectories(),
    packageHosts: process.env.ROUTER_PACKAGE_HOSTS,
    platform: environment.platform === 'azure' ? { kind: 'azure', environment: azurePlatformEnvironment(process.env) } : { kind: 'local' },
    appNamePrefix: process.env.ROUTER_APP_NAME_PREFIX,
    appQuota: process.env.ROUTER_APP_QUOTA === undefined ? undefined : Number(process.env.ROUTER_APP_QUOTA),
    backends,
    publicUrl: environment.publicUrl,
    trustedProxies: environment.trustedProxies,
    logger,
  });

  // Before the banner: a script that stops the stack as soon as it reads the banner must find the handlers in place.
  stopOnSignals({
    stop: () => stack.stop(),
    notify: (message) => logger.info(message),
    onStopFailed: (error) => logger.error({ err: error }, 'the embedded stack did not stop cleanly'),
  });

  const lines = [
    '',
    'durable-router is running',
    `  front door    ${stack.url}`,
    shownKey('admin key    ', 'admin', stack.adminKey, 'ROUTER_ADMIN_KEY'),
    shownKey('durable key  ', 'durable', stack.routerKeys.durableApi, 'ROUTER_DURABLE_KEY'),
    shownKey('function key ', 'function', stack.routerKeys.function, 'ROUTER_FUNCTION_KEY'),
    `  control plane ${stack.controlPlaneUrl}`,
    ...stack.apps.map((app, i) => `${i === 0 ? '  apps          ' : '                '}${app.version} at ${app.url}`),
    ...(stack.released.length === 0 ? [] : [`  released      ${stack.released.join(', ')}`]),
    '',
    'Try:',
    `  curl ${stack.url}/api/version`,
    `  curl -H 'x-app-version: 1.0' ${stack.url}/api/version`,
    `  curl -H "x-functions-key: $(cat ${keptKeyFile(options.dataDir, 'durable')})" '${stack.url}/runtime/webhooks/durabletask/instances?top=5'`,
    '  npx durable-router versions',
    `  curl -X POST ${stack.url}/admin/releases -H 'authorization: Bearer <admin key>' \\`,
    `       -H 'content-type: application/json' -d '{"version":"1.2.0","package":"/absolute/path/to/app"}'`,
    '',
    'Ctrl+C stops everything: the requests in flight are answered first (Ctrl+C again stops at once).',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  /** A key the operator gave is not printed back; a generated one is, once, with where it is kept. */
  function shownKey(label: string, name: KeptKey, value: string, variable: string): string {
    if (!stack.generatedKeys.includes(name)) {
      return `  ${label} ${givenKeys[name] !== undefined ? `from ${variable}` : `kept in ${keptKeyFile(options.dataDir, name)}`}`;
    }
    return `  ${label} ${value}  (generated, kept in ${keptKeyFile(options.dataDir, name)})`;
  }

  await stack.closed;
}
