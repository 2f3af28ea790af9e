/**
 * Child-process entry that runs one of Azurite's services (`table` or `blob`, the first argument)
 * and ties its life to the parent's: Node cannot ask Linux to kill a child when its parent dies, so
 * the parent holds our stdin and we shut down when it closes (the parent exited, however it died)
 * or on SIGTERM. Shutdown goes through Azurite's own SIGINT handler so a persisted database is saved.
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

let shuttingDown = false;
function shutDown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stdin.destroy();
  setTimeout(() => process.exit(0), forcedExitAfterMs).unref();
  process.kill(process.pid, 'SIGINT');
}

process.once('SIGTERM', shutDown);
process.stdin.on('end', shutDown);
process.stdin.on('error', shutDown);
process.stdin.resume();

process.argv = [process.argv[0] ?? process.execPath, main, ...process.argv.slice(3)];
require(main);
