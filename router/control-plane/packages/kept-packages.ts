import { randomUUID } from 'node:crypto';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { PackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { packageContentHash, unpackPackage } from '../../../deployer/platform/package/package-unpacking.js';
import type { TakenPackage } from '../../releases/package/package-intake.js';
import type { KeptPackageMirror } from './kept-package-mirror.js';
import { statIfExists } from '../../../shared/files/optional-file.js';

export interface KeptPackagesOptions {
  /** This instance's folder of kept packages. */
  readonly root: string;
  /** What a package fetched from the mirror may hold (intake's limits). */
  readonly limits: PackageLimits;
  /** The copy every instance reaches (on Azure); without one, packages are kept on this disk only. */
  readonly mirror?: KeptPackageMirror;
}

/**
 * Checked packages kept by content hash (`<root>/<sha256>/`) from the moment a release is accepted
 * until it no longer matters: a release deploys from here, even after the control plane restarted
 * half way, and the package an app last ran healthy stays so that a failed patch can be undone.
 * With a mirror, a package kept by one instance is fetched by another that lacks it.
 */
export class KeptPackages {
  readonly #root: string;
  readonly #limits: PackageLimits;
  readonly #mirror: KeptPackageMirror | undefined;

  constructor(options: KeptPackagesOptions) {
    this.#root = path.resolve(options.root);
    this.#limits = options.limits;
    this.#mirror = options.mirror;
  }

  /** Moves a package from intake's staging area into the store (a package already kept stays as it is). */
  async keep(taken: TakenPackage): Promise<string> {
    const target = this.#pathOf(taken.sha256);
    try {
      if (!(await isDirectory(target))) await moveInto(taken.dir, target, this.#root);
    } finally {
      await taken.dispose();
    }
    await this.#mirror?.put(taken.sha256, target);
    return target;
  }

  /** The package's folder on this instance, fetched from the mirror when it is not here; undefined when no copy is kept anywhere. */
  async localPath(sha256: string): Promise<string | undefined> {
    const target = this.#pathOf(sha256);
    if (await isDirectory(target)) return target;
    if (this.#mirror === undefined) return undefined;
    return this.#fetch(this.#mirror, sha256, target);
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.#pathOf(sha256), { recursive: true, force: true });
    await this.#mirror?.delete(sha256);
  }

  /** Into a folder of its own first, so that fetches at once (here or in another process) never see each other's half. */
  async #fetch(mirror: KeptPackageMirror, sha256: string, target: string): Promise<string | undefined> {
    const work = path.join(this.#root, '.incoming', randomUUID());
    await mkdir(work, { recursive: true });
    try {
      const zip = path.join(work, 'package.zip');
      if (!(await mirror.fetch(sha256, zip))) return undefined;
      const dir = path.join(work, 'package');
      const unpacked = await unpackPackage(zip, dir, { limits: this.#limits });
      const found = packageContentHash(unpacked.files);
      if (found !== sha256) {
        throw new RouterError('INTERNAL', `The shared copy of the kept package ${sha256.slice(0, 12)}… holds other files (sha256 ${found.slice(0, 12)}…); release it again.`, {
          details: { sha256, found },
        });
      }
      await moveInto(dir, target, this.#root);
      return target;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  #pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RouterError('INTERNAL', 'A kept package is named by a sha256 of 64 lower-case hex digits.');
    return path.join(this.#root, sha256);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await statIfExists(dir))?.isDirectory() === true;
}

async function moveInto(source: string, target: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  try {
    await rename(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another release (or fetch) kept the same content first: that copy is as good as this one.
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return;
    if (code !== 'EXDEV') throw error;
    // Staging on another file system: copy into a temporary name, then rename, so readers never see half a package.
    const temporary = `${target}.partial-${process.pid}`;
    await cp(source, temporary, { recursive: true });
    await rename(temporary, target);
  }
}
