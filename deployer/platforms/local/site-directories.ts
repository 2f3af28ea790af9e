/**
 * The code folders of one local app: `site/` is what runs; a deploy unpacks into `staging-*`,
 * moves `site/` aside to `previous-*` and the staging folder into `site/`, so the running path
 * never changes and a failed start can put the previous code back. A deploy cut off half way (the
 * control plane was killed) is repaired by `recoverSite` before the app is touched again.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const siteDirName = 'site';
const stagingPrefix = 'staging-';
const previousPrefix = 'previous-';

export function sitePath(appDir: string): string {
  return path.join(appDir, siteDirName);
}

export function newStagingPath(appDir: string): string {
  return path.join(appDir, `${stagingPrefix}${randomUUID()}`);
}

async function hasSite(appDir: string): Promise<boolean> {
  try {
    return (await stat(sitePath(appDir))).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Puts `staging` in place as the site; returns where the previous site went (undefined: there was none). */
export async function swapInSite(appDir: string, staging: string): Promise<string | undefined> {
  let previous: string | undefined;
  if (await hasSite(appDir)) {
    previous = path.join(appDir, `${previousPrefix}${randomUUID()}`);
    await rename(sitePath(appDir), previous);
  }
  await rename(staging, sitePath(appDir));
  return previous;
}

/** Throws the current site away and puts `previous` (if any) back. */
export async function restoreSite(appDir: string, previous: string | undefined): Promise<void> {
  await rm(sitePath(appDir), { recursive: true, force: true });
  if (previous !== undefined) await rename(previous, sitePath(appDir));
}

/**
 * After a cut-off deploy: a missing site with a previous one beside it gets the previous one back;
 * leftover staging and previous folders are removed.
 */
export async function recoverSite(appDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(appDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
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
