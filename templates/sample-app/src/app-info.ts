import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AppInfo {
  readonly name: string;
  readonly version: string;
}

/** The app's name and version from its package.json (compiled code runs from dist/src). */
export const appInfo: AppInfo = (() => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as Partial<AppInfo>;
  return { name: pkg.name ?? 'unknown', version: pkg.version ?? '0.0.0' };
})();
