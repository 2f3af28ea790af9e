import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';

/** Local state only; the app's node_modules go with it, as with any release from a directory. */
const skipped = new Set(['.data', '.git', 'local.settings.json']);

/**
 * Copies an app directory to `target` as the given version (its package.json version set to it),
 * so one sample app can stand for several versions in the quick start.
 */
export async function stageAppAsVersion(appDir: string, target: string, version: string): Promise<void> {
  const manifest = path.join(appDir, 'package.json');
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(await readFile(manifest, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new RouterError('INVALID_CONFIGURATION', `${appDir} is not a Functions app: cannot read ${manifest} (${(cause as Error).message}).`, { cause });
  }
  await rm(target, { recursive: true, force: true });
  const root = path.resolve(appDir);
  await cp(root, target, { recursive: true, filter: (source) => !(path.dirname(path.resolve(source)) === root && skipped.has(path.basename(source))) });
  await writeFile(path.join(target, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
}
