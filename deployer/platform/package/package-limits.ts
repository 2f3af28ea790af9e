/**
 * Size limits of an app package, and the running count that enforces them while a package is
 * read, so that a zip bomb or a runaway download is stopped at the first byte over, not after it
 * filled the disk. Pure.
 */
import { RouterError } from '../../../shared/errors/router-error.js';

export interface PackageLimits {
  /** The zip as sent or downloaded. */
  readonly maxCompressedBytes: number;
  /** All files together, as extracted or copied. */
  readonly maxUncompressedBytes: number;
  /** Files and folders. */
  readonly maxEntries: number;
  /** Uncompressed to compressed bytes, of one zip entry and of a whole zip, as their headers declare them. */
  readonly maxCompressionRatio: number;
  /** Entries and zips declaring fewer uncompressed bytes are not held to the ratio: small text files compress well. */
  readonly compressionRatioFromBytes: number;
}

const mebibyte = 1024 * 1024;

/** Generous for a Functions app that ships its node_modules; tighten them per router. */
export const defaultPackageLimits: PackageLimits = Object.freeze({
  maxCompressedBytes: 256 * mebibyte,
  maxUncompressedBytes: 1024 * mebibyte,
  maxEntries: 100_000,
  // Text and JavaScript compress 3 to 10 times, source maps and lock files rarely 30: 100 is a bomb's.
  maxCompressionRatio: 100,
  compressionRatioFromBytes: mebibyte,
});

export function resolvePackageLimits(overrides: Partial<PackageLimits> = {}): PackageLimits {
  const limits = { ...defaultPackageLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RouterError('INVALID_CONFIGURATION', `The package limit ${name} must be a positive whole number, not ${String(value)}.`);
    }
  }
  return Object.freeze(limits);
}

function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < mebibyte) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / mebibyte).toFixed(1)} MiB`;
}

export function compressedTooLarge(limits: PackageLimits, seenBytes: number): RouterError {
  return new RouterError(
    'PACKAGE_TOO_LARGE',
    `The package zip is larger than the ${describeBytes(limits.maxCompressedBytes)} this router accepts (${describeBytes(seenBytes)} or more).`,
    { details: { limit: limits.maxCompressedBytes } },
  );
}

/** Counts entries and bytes as a package is unpacked; throws PACKAGE_TOO_LARGE at the first excess. */
export class PackageBudget {
  #entries = 0;
  #bytes = 0;

  constructor(readonly limits: PackageLimits) {}

  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#bytes;
  }

  addEntry(path: string): void {
    this.#entries += 1;
    if (this.#entries > this.limits.maxEntries) {
      throw new RouterError('PACKAGE_TOO_LARGE', `The package has more than ${this.limits.maxEntries} files and folders (reached at "${path}").`, {
        details: { limit: this.limits.maxEntries },
      });
    }
  }

  /** Before reading a file: what its header claims must fit. */
  reserve(path: string, declaredBytes: number): void {
    this.#check(path, this.#bytes + declaredBytes);
  }

  /** While reading: what actually arrives must fit, whatever the header claimed. */
  addBytes(path: string, bytes: number): void {
    this.#bytes += bytes;
    this.#check(path, this.#bytes);
  }

  #check(path: string, total: number): void {
    if (total > this.limits.maxUncompressedBytes) {
      throw new RouterError(
        'PACKAGE_TOO_LARGE',
        `The package's files come to more than the ${describeBytes(this.limits.maxUncompressedBytes)} this router accepts (exceeded at "${path}").`,
        { details: { limit: this.limits.maxUncompressedBytes } },
      );
    }
  }
}

/** What a zip's central directory says of one entry, before any of it is inflated. */
export interface DeclaredZipEntry {
  readonly path: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
}

/**
 * Refuses a zip bomb on what its central directory declares, before anything is written: more
 * bytes than allowed, or an entry (or the whole) that would inflate more than
 * `maxCompressionRatio` times. The sizes may lie; extraction counts the real bytes too.
 */
export function checkDeclaredZipSizes(entries: readonly DeclaredZipEntry[], limits: PackageLimits): void {
  const compressed = entries.reduce((sum, entry) => sum + entry.compressedBytes, 0);
  const uncompressed = entries.reduce((sum, entry) => sum + entry.uncompressedBytes, 0);
  if (uncompressed > limits.maxUncompressedBytes) {
    throw new RouterError(
      'PACKAGE_TOO_LARGE',
      `The package zip declares ${describeBytes(uncompressed)} of files; this router accepts at most ${describeBytes(limits.maxUncompressedBytes)}.`,
      { details: { limit: limits.maxUncompressedBytes } },
    );
  }
  for (const entry of entries) checkRatio(`its entry "${entry.path}"`, entry.compressedBytes, entry.uncompressedBytes, limits);
  checkRatio('its files together', compressed, uncompressed, limits);
}

function checkRatio(what: string, compressed: number, uncompressed: number, limits: PackageLimits): void {
  if (uncompressed < limits.compressionRatioFromBytes || uncompressed <= compressed * limits.maxCompressionRatio) return;
  const ratio = compressed === 0 ? 'from nothing' : `${Math.floor(uncompressed / compressed)} times`;
  throw new RouterError(
    'PACKAGE_TOO_LARGE',
    `The package zip looks like a zip bomb: ${what} would inflate ${ratio} (${describeBytes(compressed)} to ${describeBytes(uncompressed)}); ` +
      `this router accepts at most ${limits.maxCompressionRatio} times for ${describeBytes(limits.compressionRatioFromBytes)} or more. Nothing was extracted.`,
    { details: { limit: limits.maxCompressionRatio } },
  );
}
