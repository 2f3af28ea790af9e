/**
 * Large values, as DurableTask.AzureStorage stores them: a string column over 60 KiB (counted as
 * UTF-16, Table storage's unit; its limit is 64 KiB) goes gzipped (UTF-8 JSON) to a blob in the
 * task hub's `{hub}-largemessages` container. A History row then holds "" in the column and the
 * blob's name in `{Column}BlobName`; an Instances row holds the blob's URL in the column itself.
 * Pure: naming, the threshold and the codec; the I/O is the caller's.
 */
import { randomInt } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export const maxTablePropertyBytes = 60 * 1024;
export const blobNameColumnSuffix = 'BlobName';

export function isLargeValue(value: unknown): value is string {
  return typeof value === 'string' && value.length * 2 > maxTablePropertyBytes;
}

export function largeMessageContainerName(taskHubName: string): string {
  return `${taskHubName.toLowerCase()}-largemessages`;
}

/**
 * The blob of a column of a row: `{partitionKey}/history-{rowKey}-{eventType}-{random}-{column}.json.gz`,
 * the event type being the column's name for Instances and Work rows (which have none). The
 * random part keeps two writers of the same row from overwriting each other's blob.
 */
export function largeValueBlobName(partitionKey: string, rowKey: string, eventType: string, column: string): string {
  const random = randomInt(0, 0x1_0000_0000).toString(16).toUpperCase().padStart(8, '0');
  return `${partitionKey}/history-${rowKey}-${eventType}-${random}-${column}.json.gz`;
}

/** The prefix under which all of an instance's blobs are: what a purge deletes. */
export function largeValueBlobPrefix(partitionKey: string): string {
  return `${partitionKey}/`;
}

/** The blob name a large value's URL (an Instances column) names, or undefined when the value is inline. */
export function largeValueBlobNameOfUrl(value: unknown, taskHubContainer?: string): string | undefined {
  if (typeof value !== 'string' || !/^https?:\/\//.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL after all: an inline value (JSON text never starts with "http").
    return undefined;
  }
  const segments = url.pathname.split('/').map((segment) => decodeURIComponent(segment));
  const at = segments.findIndex((segment) => segment.endsWith('-largemessages') && (taskHubContainer === undefined || segment === taskHubContainer));
  return at < 0 ? undefined : segments.slice(at + 1).join('/');
}

/** The container a large value's URL names. */
export function largeValueContainerOfUrl(value: string): string | undefined {
  return new URL(value).pathname.split('/').find((segment) => segment.endsWith('-largemessages'));
}

export function encodeLargeValue(value: string): Buffer {
  return gzipSync(Buffer.from(value, 'utf8'));
}

export function decodeLargeValue(blob: Buffer): string {
  return gunzipSync(blob).toString('utf8');
}
