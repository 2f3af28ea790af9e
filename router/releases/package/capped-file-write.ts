import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressedTooLarge, type PackageLimits } from '../../../deployer/platform/package/package-limits.js';

/**
 * Streams a zip into a new file, counting as it goes, and stops at the first byte over the
 * compressed limit (PACKAGE_TOO_LARGE) instead of after the whole body arrived. Resolves with the
 * byte count. The caller removes the file on failure.
 */
export async function writeStreamCapped(input: Readable, file: string, limits: PackageLimits, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limits.maxCompressedBytes) callback(compressedTooLarge(limits, bytes));
      else callback(null, chunk);
    },
  });
  await pipeline(input, counter, createWriteStream(file, { flags: 'wx' }), ...(signal ? [{ signal }] : []));
  return bytes;
}
