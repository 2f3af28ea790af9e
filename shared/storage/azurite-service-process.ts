/**
 * Child-process entry that runs one of Azurite's services (`table` or `blob`, the first argument)
 * and ties its life to the parent's: Node cannot ask Linux to kill a child when its parent dies, so
 * the parent holds our stdin and we shut down when it closes (the parent exited, however it died)
 * or on SIGTERM. Shutdown goes through Azurite's own signal handler so a persisted database is saved.
 */
import { createRequire } from 'node:module';

const forcedExitAfterMs = 5_000;
const require = createRequire(import.meta.url);
const entries = {
  table: 'azurite/dist/src/table/main.js',
  blob: 'azurite/dist/src/blob/main.js',
} as const;

const service = process.argv[2];
if (service !== 'table' && service !== 'blob') {
  console.error(`Usage: azurite-service-process <table|blob> [Azurite options]; got "${service ?? ''}".`);
  process.exit(2);
}
const main = require.resolve(entries[service]);

// The signal on which Azurite's service saves its data and closes: the Blob service also closes on
// SIGTERM, the Table service only on SIGINT. Each gets exactly one: a second close fails the
// process half-way through saving.
const closeSignal = service === 'blob' ? 'SIGTERM' : 'SIGINT';
let shuttingDown = false;
function shutDown(signalled: boolean): void {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stdin.destroy();
  setTimeout(() => process.exit(0), forcedExitAfterMs).unref();
  if (!signalled) process.kill(process.pid, closeSignal);
}

// Kept for the process's life: a SIGTERM with no listener would end it at once, mid-save.
process.on('SIGTERM', () => shutDown(closeSignal === 'SIGTERM'));
process.stdin.on('end', () => shutDown(false));
process.stdin.on('error', () => shutDown(false));
process.stdin.resume();

process.argv = [process.argv[0] ?? process.execPath, main, ...process.argv.slice(3)];
require(main);
