/**
 * The fake's data folder holds only what a fake makes: an earlier fake's sites are gone with its
 * (in-memory) state, so they are removed when a new fake claims the folder; a folder holding
 * anything else is refused rather than emptied.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import { statIfExists } from '../../../shared/files/optional-file.js';

const markerFile = '.fake-arm';

export async function claimDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const entries = await readdir(dataDir);
  if (entries.length > 0 && !(await exists(path.join(dataDir, markerFile)))) {
    throw new RouterError('INVALID_CONFIGURATION', `The fake ARM's data folder ${dataDir} holds files that are not the fake's: give it an empty or new folder (under the repository's .data/test/).`);
  }
  await rm(path.join(dataDir, 'sites'), { recursive: true, force: true });
  await rm(path.join(dataDir, 'packages'), { recursive: true, force: true });
  await writeFile(path.join(dataDir, markerFile), 'A fake Azure Resource Manager keeps its sites here (test/fakes/azure-arm).\n');
}

async function exists(file: string): Promise<boolean> {
  return (await statIfExists(file)) !== undefined;
}
