import { readFileSync } from 'node:fs';

/** The package version, read from package.json (two levels above dist/router/cli). */
export function cliVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
