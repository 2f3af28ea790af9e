/**
 * Request body limits of the front door and the local host: a declared length over the limit is
 * refused before anything is forwarded; a chunked body is counted as it is forwarded and cut at
 * the first byte over, so that whoever receives it never gets more than it accepts.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RouterError } from '../errors/router-error.js';

export function bodyTooLarge(limit: number, what: string): RouterError {
  return new RouterError('PAYLOAD_TOO_LARGE', `The body of ${what} is larger than the ${describeBytes(limit)} the router accepts for it.`, {
    details: { limit },
  });
}

/** Passes a body through until it exceeds `limit` bytes, then fails with PAYLOAD_TOO_LARGE. */
export class CappedBody extends Transform {
  #bytes = 0;

  constructor(private readonly limit: number, private readonly what: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.limit) callback(bodyTooLarge(this.limit, this.what));
    else callback(null, chunk);
  }
}

function describeBytes(bytes: number): string {
  const mebibyte = 1024 * 1024;
  return bytes >= mebibyte && bytes % mebibyte === 0 ? `${bytes / mebibyte} MiB` : `${bytes} bytes`;
}
