import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { TakenPackage } from '../../releases/package/package-intake.js';

/**
 * Checked packages kept by content hash (`<root>/<sha256>/`) from the moment a release is accepted
 * until it no longer matters: a release deploys from here, even after the control plane restarted
 * half way, and the package an app last ran healthy stays so that a failed patch can be undone.
 */
export class KeptPackages {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RouterError('INTERNAL', 'A kept package is named by a sha256 of 64 lower-case hex digits.');
    return path.join(this.#root, sha256);
  }

  /** Moves a package from intake's staging area into the store (a package already kept stays as it is). */
  async keep(taken: TakenPackage): Promise<string> {
    const target = this.pathOf(taken.sha256);
    try {
      if (!(await this.has(taken.sha256))) await moveInto(taken.dir, target, this.#root);
    } finally {
      await taken.dispose();
    }
    return target;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  remove(sha256: string): Promise<void> {
    return rm(this.pathOf(sha256), { recursive: true, force: true });
  }
}

async function moveInto(source: string, target: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  try {
    await rename(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another release kept the same content first: that copy is as good as this one.
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return;
    if (code !== 'EXDEV') throw error;
    // Staging on another file system: copy into a temporary name, then rename, so readers never see half a package.
    const temporary = `${target}.partial-${process.pid}`;
    await cp(source, temporary, { recursive: true });
    await rename(temporary, target);
  }
}
