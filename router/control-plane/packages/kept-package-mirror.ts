/**
 * A copy of the kept packages that every instance of the control plane can reach (on Azure, a
 * blob container): the instance that runs a release's step may not be the one that took the
 * package in, and an instance's own disk goes when it is recycled.
 */
export interface KeptPackageMirror {
  /** Stores the package directory under its content hash; a package already stored stays as it is. */
  put(sha256: string, dir: string): Promise<void>;
  /** Writes the stored package, zipped, to `zipFile`; false when none is stored. */
  fetch(sha256: string, zipFile: string): Promise<boolean>;
  /** Removes the stored package, if there is one. */
  delete(sha256: string): Promise<void>;
}
