import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Lets an app deployed without node_modules (as a package often is, and as the local platform
 * stages one) find the packages it shares with the host, `durable-functions` and
 * `@azure/functions`, in the host's own install: the host's node_modules is appended to the
 * CommonJS global lookup paths, as NODE_PATH would. The app's own node_modules, when it has one,
 * is searched first. ES-module apps resolve without global paths and must ship their packages.
 */
export function addHostPackagesAsFallback(): void {
  const require = createRequire(import.meta.url);
  const hostNodeModules = nodeModulesOf(require.resolve('durable-functions'));
  const existing = (process.env.NODE_PATH ?? '').split(path.delimiter).filter((entry) => entry !== '');
  if (existing.includes(hostNodeModules)) return;
  process.env.NODE_PATH = [...existing, hostNodeModules].join(path.delimiter);
  // Node reads NODE_PATH once at start-up; _initPaths is how it re-reads it.
  (require('node:module') as { _initPaths(): void })._initPaths();
}

function nodeModulesOf(file: string): string {
  const marker = `${path.sep}node_modules${path.sep}`;
  return file.slice(0, file.lastIndexOf(marker) + marker.length - 1);
}
