/**
 * Conversions between JavaScript values and the worker's `RpcTypedData`, on the host's side of
 * the protocol. Pure: no I/O.
 */
import type { RpcTypedData } from './functions-core-types.js';

/**
 * A durable trigger's payload or a durable client binding, as the Durable extension hands it to
 * the Node worker: JSON text in `string` (the library parses it back).
 */
export function toJsonStringData(value: unknown): RpcTypedData | undefined {
  if (value === undefined) return undefined;
  return { string: JSON.stringify(value) };
}

/** A function's return value as the host sees it: JSON parsed, strings and numbers as they are, bytes as a Buffer. */
export function fromRpcTypedData(data: RpcTypedData | null | undefined): unknown {
  if (data === null || data === undefined) return undefined;
  if (typeof data.json === 'string') return JSON.parse(data.json) as unknown;
  if (typeof data.string === 'string') return data.string;
  if (data.bytes !== null && data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.stream !== null && data.stream !== undefined) return Buffer.from(data.stream);
  if (typeof data.int === 'number') return data.int;
  if (typeof data.double === 'number') return data.double;
  return undefined;
}
