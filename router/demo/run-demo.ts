/**
 * `npm run demo`: the zero-downtime story on this machine, narrated, in about a minute. It runs
 * the embedded stack (as `npm start` does) with its own fresh data under .data/demo and short
 * drain settings, tells the story (router/demo/demo-story.ts), and stops everything at the end.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { keptKeyFile } from '../embedded/kept-keys.js';
import { startEmbeddedStack, type EmbeddedStack } from '../embedded/embedded-stack.js';
import { stageVersion1, stageVersion1Dot1 } from './demo-packages.js';
import { DemoSession } from './demo-session.js';
import { runDemoStory } from './demo-story.js';
import { Narrator } from './narrator.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
// Inside the project: the apps resolve @azure/functions and durable-functions from its node_modules.
const dataDir = path.join(root, '.data', 'demo');
const drainPollMs = 1_000;
const decommissionGraceMs = 3_000;

async function main(): Promise<void> {
  const n = new Narrator(process.stdout);
  n.say('durable-router demo: two versions of a Durable Functions app, one router, no downtime. Every command it runs is shown as you would type it; a second terminal can run them too while the demo waits.');
  n.chapter('Start the router');
  n.say(`This is what \`npm start\` runs, here with its own fresh data under ${path.relative(root, dataDir)} and a short drain poll: Azurite (Table storage) as a child process; the control plane, the router's own Durable Functions app, in the project's local Functions host; and the front door, which routes every request by version. The stack's log goes to ${path.relative(root, path.join(dataDir, 'demo.log'))}.`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(path.join(dataDir, 'packages'), { recursive: true });
  const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination({ dest: path.join(dataDir, 'demo.log'), sync: true }));
  const packages = { v1: path.join(dataDir, 'packages', 'order-app-1.0.0'), v1dot1: path.join(dataDir, 'packages', 'order-app-1.1.0') };
  const sampleApp = path.join(root, 'templates', 'sample-app');
  await stageVersion1(sampleApp, packages.v1);
  await stageVersion1Dot1(sampleApp, packages.v1dot1);

  const stack: EmbeddedStack = await startEmbeddedStack({
    dataDir,
    port: Number(process.env['ROUTER_PORT'] ?? 0),
    keys: {},
    storage: undefined,
    packageDirs: [path.join(dataDir, 'packages')],
    backends: undefined,
    logger,
    drainPollMs,
    decommissionGraceMs,
  });
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    process.stdout.write('\nStopping the router...\n');
    void stack.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    n.say(`The front door listens at ${stack.url}, the control plane at ${stack.controlPlaneUrl}. The CLI reads where the router is and its admin key from the environment; clients of the durable HTTP API present the router's durable key:`);
    n.command(`export ROUTER_URL=${stack.url} ROUTER_ADMIN_KEY=$(cat ${path.relative(root, keptKeyFile(dataDir, 'admin'))}) ROUTER_DURABLE_KEY=$(cat ${path.relative(root, keptKeyFile(dataDir, 'durable'))})`);
    n.blank();
    const session = new DemoSession({ narrator: n, url: stack.url, adminKey: stack.adminKey, durableKey: stack.routerKeys.durableApi, cli: path.join(root, 'dist', 'router', 'cli', 'main.js'), cwd: root });
    const tally = await runDemoStory({ narrator: n, session, packages, drainPollMs, decommissionGraceMs });
    n.say('Stopping the router: the front door, the control plane with its apps, and Azurite. To do all this yourself, run `npm start` and follow the README\'s quick start.');
    if (tally.failed > 0) process.exitCode = 1;
  } finally {
    if (!interrupted) await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nThe demo stopped: ${(error as Error).message ?? String(error)}\n(The stack's log: ${path.join(dataDir, 'demo.log')})\n`);
  process.exitCode = 1;
});
