/**
 * A query over the shared Instances table: which rows it matches (an OData filter) and where a
 * page of it ends (a continuation cursor). Pure.
 */
import { odata } from '@azure/data-tables';
import { RouterError } from '../errors/router-error.js';
import type { RuntimeStatus } from './tracking-store-schema.js';

export interface InstanceQuery {
  /** Only instances of these task hubs (so of these apps); an empty list matches nothing. */
  readonly taskHubs: readonly string[];
  /** Any of these runtime statuses; none given: every status. */
  readonly statuses?: readonly RuntimeStatus[] | undefined;
  /** The orchestrator (or entity) name, exactly. */
  readonly name?: string | undefined;
  /** Created at or after. */
  readonly createdFrom?: Date | undefined;
  /** Created at or before. */
  readonly createdTo?: Date | undefined;
  /** At most this many instances in one page. */
  readonly top: number;
  /** Where the previous page ended (its `continuationToken`). */
  readonly continuationToken?: string | undefined;
}

export interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  readonly taskHub: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  /** The orchestration version it started with (`Version`; empty when the app set none). */
  readonly version: string;
}

export interface InstancePage {
  readonly instances: readonly InstanceRecord[];
  /** Present when more instances may follow: pass it back to read the next page. */
  readonly continuationToken: string | undefined;
}

/** The next row a paged read starts at: Table storage's own continuation keys. */
export interface InstanceCursor {
  readonly partitionKey: string;
  readonly rowKey?: string | undefined;
}

export function instanceQueryFilter(query: InstanceQuery): string {
  const clauses = [anyOf(query.taskHubs.map((hub) => odata`TaskHubName eq ${hub}`))];
  if (query.statuses !== undefined && query.statuses.length > 0) clauses.push(anyOf(query.statuses.map((status) => odata`RuntimeStatus eq ${status}`)));
  if (query.name !== undefined) clauses.push(odata`Name eq ${query.name}`);
  if (query.createdFrom !== undefined) clauses.push(odata`CreatedTime ge ${query.createdFrom}`);
  if (query.createdTo !== undefined) clauses.push(odata`CreatedTime le ${query.createdTo}`);
  return clauses.join(' and ');
}

function anyOf(conditions: readonly string[]): string {
  return conditions.length === 1 ? (conditions[0] as string) : `(${conditions.join(' or ')})`;
}

/** An opaque, URL-safe token for a cursor. */
export function encodeInstanceCursor(cursor: InstanceCursor): string {
  const keys = cursor.rowKey === undefined || cursor.rowKey === '' ? [cursor.partitionKey] : [cursor.partitionKey, cursor.rowKey];
  return Buffer.from(JSON.stringify(keys), 'utf8').toString('base64url');
}

export function decodeInstanceCursor(token: string): InstanceCursor {
  let keys: unknown;
  try {
    keys = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > 2 || !keys.every((key) => typeof key === 'string') || keys[0] === '') throw invalidToken();
  const [partitionKey, rowKey] = keys as [string, string | undefined];
  return rowKey === undefined ? { partitionKey } : { partitionKey, rowKey };
}

function invalidToken(): RouterError {
  return new RouterError('INVALID_REQUEST', 'The continuation token is not one this router gave out; pass the continuationToken of the previous page unchanged, or leave it out to start from the first page.');
}
