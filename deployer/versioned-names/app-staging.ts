/**
 * The migrated app is put together in a folder beside its destination and only then moved in, so
 * that a refusal or a crash half-way leaves the destination as it was.
 */
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { statIfExists } from '../../shared/files/optional-file.js';
import { manifestFileName } from './versions-manifest.js';

/** What a destination keeps of its own: installed packages and local state. */
const keptInDestination = new Set(['node_modules', '.git', '.data']);

export class AppStaging {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async beside(destination: string): Promise<AppStaging> {
    const parent = path.dirname(destination);
    await mkdir(parent, { recursive: true });
    return new AppStaging(await mkdtemp(path.join(parent, `.${path.basename(destination)}.version-names-`)));
  }

  /** Copies a folder's files into `into` (relative), leaving out what `skip` names (paths relative to `from`, posix). */
  async copyTree(from: string, into: string, skip: (relative: string) => boolean): Promise<void> {
    await cp(from, path.join(this.dir, into), {
      recursive: true,
      verbatimSymlinks: false,
      filter: (source) => {
        const relative = path.relative(from, source).split(path.sep).join('/');
        return relative === '' || !skip(relative);
      },
    });
  }

  async write(relative: string, content: string | Uint8Array): Promise<void> {
    const file = path.join(this.dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  /**
   * Replaces the destination's content with the staged app; its node_modules, .git and .data
   * stay. The destination must not exist, be empty, be `appDir` itself (rewritten in place) or hold
   * an earlier migration's output.
   */
  async moveTo(destination: string, appDir: string): Promise<void> {
    const info = await statIfExists(destination);
    if (info === undefined) {
      await rename(this.dir, destination);
      return;
    }
    const entries = await readdir(destination);
    const replaceable = entries.length === 0 || path.resolve(destination) === path.resolve(appDir) || entries.includes(manifestFileName);
    if (!info.isDirectory() || !replaceable) {
      throw new RouterError('VERSION_NAMES_INVALID', `--out ${destination} holds files that are not an earlier output of version-names; name a new or empty folder.`);
    }
    for (const entry of entries) if (!keptInDestination.has(entry)) await rm(path.join(destination, entry), { recursive: true, force: true });
    for (const entry of await readdir(this.dir)) await rename(path.join(this.dir, entry), path.join(destination, entry));
    await this.discard();
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
