/** Renders `GET /admin/instances` answers as a plain-text table for people. Pure. */
import { renderTable } from './version-table.js';

export interface ListedInstance {
  readonly instanceId: string;
  readonly name: string;
  readonly routeKey: string;
  readonly version: string | null;
  readonly runtimeStatus: string;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
}

export function renderInstanceTable(instances: readonly ListedInstance[], continuationToken: string | null): string {
  const more = continuationToken === null ? '' : `more instances follow: add --all, or --continuation-token ${continuationToken}\n`;
  if (instances.length === 0) return `No instances match.\n${more}`;
  const header = ['INSTANCE', 'NAME', 'VERSION', 'STATUS', 'CREATED', 'UPDATED'];
  const rows = instances.map((instance) => [
    instance.instanceId,
    instance.name,
    instance.version ?? instance.routeKey,
    instance.runtimeStatus,
    shortTime(instance.createdTime),
    shortTime(instance.lastUpdatedTime),
  ]);
  return `${renderTable(header, rows)}\n${instances.length} instance${instances.length === 1 ? '' : 's'}\n${more}`;
}

/** "2026-05-01T10:00:00.123Z" → "2026-05-01 10:00:00Z": seconds are what a person compares. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
