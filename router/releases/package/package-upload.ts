import type { Readable } from 'node:stream';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { compressedTooLarge, type PackageLimits } from '../../../deployer/platform/package/package-limits.js';
import { writeStreamCapped } from './capped-file-write.js';

/**
 * Writes a zip uploaded in a request body to `file`. A declared length over the limit is refused
 * before reading; an undeclared (chunked) body is cut off at the limit while it streams.
 */
export async function receivePackageUpload(body: Readable, file: string, limits: PackageLimits, declaredBytes?: number): Promise<number> {
  // The body is left unread: the HTTP layer decides whether to drain it or close the connection.
  if (declaredBytes !== undefined && declaredBytes > limits.maxCompressedBytes) throw compressedTooLarge(limits, declaredBytes);
  try {
    return await writeStreamCapped(body, file, limits);
  } catch (error) {
    // A failure writing the file (a full disk) is the router's, not the upload's.
    if (isRouterError(error) || typeof (error as NodeJS.ErrnoException).syscall === 'string') throw error;
    throw new RouterError('INVALID_REQUEST', `The uploaded package did not arrive whole: ${(error as Error).message}.`, { cause: error });
  }
}
