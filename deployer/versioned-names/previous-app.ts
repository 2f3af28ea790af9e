import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { statIfExists } from '../../shared/files/optional-file.js';
import { defaultPackageLimits } from '../platform/package/package-limits.js';
import { extractZip } from '../platform/package/zip-extraction.js';

export interface OpenedApp {
  readonly dir: string;
  close(): Promise<void>;
}

/** `--previous`: an app folder as it is, or a package zip extracted (with the package limits) to a temporary folder. */
export async function openPreviousApp(previous: string): Promise<OpenedApp> {
  const info = await statIfExists(previous);
  if (info === undefined) throw new RouterError('VERSION_NAMES_INVALID', `--previous ${previous} does not exist: name the folder or zip of the app that runs now.`);
  if (info.isDirectory()) return { dir: path.resolve(previous), close: async () => undefined };
  const temporary = await mkdtemp(path.join(os.tmpdir(), 'version-names-previous-'));
  try {
    const dir = path.join(temporary, 'app');
    await extractZip(previous, dir, { limits: defaultPackageLimits, skip: (relative) => relative.split('/').includes('node_modules') });
    return { dir, close: () => rm(temporary, { recursive: true, force: true }) };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
