/**
 * The code folders of one local app. Every deployment is unpacked into a folder of its own,
 * `site/<folder>/`, which its process runs from and which is never moved: while a new deployment
 * starts and the previous process finishes its requests, both codes are on disk. The app's record
 * names the folder that runs; the others are removed once nothing runs from them.
 *
 * Records written before deployments had folders of their own (no `folder`) run `site/` itself,
 * and a deploy of that layout cut off half way left `staging-*` / `previous-*` folders beside it:
 * `recoverSite` repairs that.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

const siteDirName = 'site';
const stagingPrefix = 'staging-';
const previousPrefix = 'previous-';

export function sitePath(appDir: string): string {
  return path.join(appDir, siteDirName);
}

/** A name for a new deployment's folder. */
export function newDeploymentFolder(): string {
  return randomUUID();
}

/** Where the code of a deployment runs from (`folder` undefined: a record of the earlier layout). */
export function codePath(appDir: string, folder: string | undefined): string {
  return folder === undefined ? sitePath(appDir) : path.join(sitePath(appDir), folder);
}

/**
 * Removes every deployment folder but `keep` (undefined: nothing is deployed, remove them all).
 * Only for the current layout: a record of the earlier layout runs `site/` itself.
 */
export async function removeOtherDeployments(appDir: string, keep: string | undefined): Promise<void> {
  for (const name of await namesIn(sitePath(appDir))) {
    if (name !== keep) await rm(path.join(sitePath(appDir), name), { recursive: true, force: true });
  }
}

/** Removes one deployment's folder. */
export async function removeDeployment(appDir: string, folder: string): Promise<void> {
  await rm(codePath(appDir, folder), { recursive: true, force: true });
}

/**
 * After a deploy of the earlier layout was cut off: a missing site with a previous one beside it
 * gets the previous one back; leftover staging and previous folders are removed.
 */
export async function recoverSite(appDir: string): Promise<void> {
  const names = await namesIn(appDir);
  const previous = names.filter((name) => name.startsWith(previousPrefix));
  const [latestPrevious] = previous;
  if (!names.includes(siteDirName) && latestPrevious !== undefined && previous.length === 1) {
    await rename(path.join(appDir, latestPrevious), sitePath(appDir));
  }
  for (const name of names) {
    if (name.startsWith(stagingPrefix) || name.startsWith(previousPrefix)) {
      await rm(path.join(appDir, name), { recursive: true, force: true });
    }
  }
}

async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
