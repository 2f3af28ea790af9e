import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: tests run from dist/test/..., fixtures and templates stay in the source tree. */
export const repositoryRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const marker = `${path.sep}dist${path.sep}test${path.sep}`;
  const at = here.lastIndexOf(marker);
  return at >= 0 ? here.slice(0, at) : path.resolve(here, '../../..');
})();

export function fixtureApp(name: string): string {
  return path.join(repositoryRoot, 'test', 'fixtures', 'apps', name);
}

export const sampleAppDir = path.join(repositoryRoot, 'templates', 'sample-app');

/** The spawnable host entry, compiled. */
export const hostEntry = path.join(repositoryRoot, 'dist', 'deployer', 'host', 'run-local-host.js');
