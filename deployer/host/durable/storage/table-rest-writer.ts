/**
 * A lean writer for the engine's hot path: entity-group transactions and single-entity writes
 * straight over the Table service REST API (JSON, SharedKeyLite), on one keep-alive agent. The
 * SDK builds a new client and pipeline for every transaction, which made the SDK the host's main
 * CPU cost per orchestration step; everything else (reads, queries, table creation) stays on the
 * SDK. Used only when the connection carries an account key. Every request is bounded and
 * retried as `storage-call-policy.ts` says; a write retried after an attempt that may have been
 * applied can answer 409/412, which the tracking store checks against what it wrote.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { describeStorageConnectionString } from '../../../../shared/storage/table-client-factory.js';
import { withStorageRetries } from './storage-call-policy.js';

export type Entity = Record<string, unknown> & { readonly partitionKey: string; readonly rowKey: string };

export type BatchOperation =
  | { readonly kind: 'upsertReplace'; readonly entity: Entity }
  | { readonly kind: 'create'; readonly entity: Entity }
  | { readonly kind: 'mergeIfMatch'; readonly entity: Entity; readonly etag: string }
  | { readonly kind: 'delete'; readonly partitionKey: string; readonly rowKey: string };

/** A failed request, shaped like the SDK's RestError where the engine looks (statusCode, code). */
export class TableRequestError extends Error {
  override readonly name = 'TableRequestError';
  constructor(message: string, readonly statusCode: number, readonly code: string | undefined) {
    super(message);
  }
}

interface SharedKey {
  readonly tableUrl: URL;
  readonly accountName: string;
  readonly key: Buffer;
}

/** Where requests go, worked out once: requests are built from paths, not parsed URLs. */
interface Endpoint {
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  /** The table endpoint's path without a trailing slash, e.g. /devstoreaccount1 on Azurite, '' on Azure. */
  readonly basePath: string;
  /** Absolute URL prefix for sub-requests of a batch. */
  readonly origin: string;
}

const serviceVersion = '2019-02-02';
const lineEnd = '\r\n';
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 128 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 128 }) };

export class TableRestWriter {
  private readonly endpoint: Endpoint;

  private constructor(private readonly account: SharedKey, private readonly tableName: string) {
    const url = account.tableUrl;
    const secure = url.protocol === 'https:';
    this.endpoint = {
      secure,
      hostname: url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      basePath: url.pathname.replace(/\/+$/, ''),
      origin: url.origin,
    };
  }

  /** A writer for the table, or undefined when the connection has no account key (SAS): use the SDK then. */
  static forConnection(connectionString: string, tableName: string): TableRestWriter | undefined {
    const endpoint = describeStorageConnectionString(connectionString);
    if (endpoint.authentication !== 'shared-key') return undefined;
    const key = accountKeyOf(connectionString);
    if (key === undefined) return undefined;
    return new TableRestWriter({ tableUrl: new URL(endpoint.tableUrl), accountName: endpoint.accountName, key: Buffer.from(key, 'base64') }, tableName);
  }

  /** Runs an entity-group transaction; answers the new ETag of each operation (undefined for deletes). */
  async submitBatch(operations: readonly BatchOperation[]): Promise<(string | undefined)[]> {
    const batch = `batch_${randomUUID()}`;
    const changeset = `changeset_${randomUUID()}`;
    const parts = operations.map((operation) => {
      const { method, url, headers, body } = this.describe(operation);
      return [
        `--${changeset}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '',
        `${method} ${url} HTTP/1.1`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '', body ?? '',
      ].join(lineEnd);
    });
    const body = [
      `--${batch}`, `Content-Type: multipart/mixed; boundary=${changeset}`, '',
      ...parts, `--${changeset}--`, `--${batch}--`, '',
    ].join(lineEnd);
    const response = await withStorageRetries(`a transaction on table ${this.tableName}`, async (signal) => {
      const answer = await this.send('POST', `${this.endpoint.basePath}/$batch`, { 'Content-Type': `multipart/mixed; boundary=${batch}`, Accept: 'application/json' }, body, signal);
      if (answer.status < 200 || answer.status >= 300) throw errorFrom(answer.status, answer.body);
      return answer;
    });
    const subResponses = response.body.split('--changesetresponse_').slice(1, -1);
    if (subResponses.length === 0) throw errorFrom(response.status, response.body);
    const etags: (string | undefined)[] = [];
    for (const subResponse of subResponses) {
      const status = Number(/HTTP\/1\.1 (\d+)/.exec(subResponse)?.[1]);
      if (!(status >= 200 && status < 300)) throw errorFrom(status, /\{.*\}/s.exec(subResponse)?.[0] ?? subResponse);
      etags.push(/^ETag: (.*?)\r?$/im.exec(subResponse)?.[1]);
    }
    // A transaction that fails as a whole answers one sub-response, for the operation that failed.
    if (etags.length !== operations.length) throw new TableRequestError('The transaction answered an unexpected number of results.', 500, undefined);
    return etags;
  }

  /** Inserts the entity; answers its ETag. */
  async create(entity: Entity): Promise<string> {
    return this.single(this.describe({ kind: 'create', entity }));
  }

  /** Insert-or-merge; answers the new ETag. */
  async upsertMerge(entity: Entity): Promise<string> {
    return this.single({ method: 'PATCH', path: this.entityPath(entity.partitionKey, entity.rowKey), headers: jsonHeaders(), body: serialize(entity) });
  }

  /** Replaces the entity if it still has the ETag; answers the new ETag. */
  async replaceIfMatch(entity: Entity, etag: string): Promise<string> {
    return this.single({ method: 'PUT', path: this.entityPath(entity.partitionKey, entity.rowKey), headers: { ...jsonHeaders(), 'If-Match': etag }, body: serialize(entity) });
  }

  private async single(request: RequestParts): Promise<string> {
    return withStorageRetries(`a ${request.method} on table ${this.tableName}`, async (signal) => {
      const response = await this.send(request.method, request.path, request.headers, request.body, signal);
      if (response.status < 200 || response.status >= 300) throw errorFrom(response.status, response.body);
      return response.etag ?? '';
    });
  }

  /** A batch sub-request names its target with an absolute URL; `path` is kept for single requests. */
  private describe(operation: BatchOperation): RequestParts & { url: string } {
    const parts = this.parts(operation);
    return { ...parts, url: `${this.endpoint.origin}${parts.path}` };
  }

  private parts(operation: BatchOperation): RequestParts {
    switch (operation.kind) {
      case 'upsertReplace':
        return { method: 'PUT', path: this.entityPath(operation.entity.partitionKey, operation.entity.rowKey), headers: jsonHeaders(), body: serialize(operation.entity) };
      case 'create':
        return { method: 'POST', path: `${this.endpoint.basePath}/${this.tableName}`, headers: { ...jsonHeaders(), Prefer: 'return-no-content' }, body: serialize(operation.entity) };
      case 'mergeIfMatch':
        return { method: 'PATCH', path: this.entityPath(operation.entity.partitionKey, operation.entity.rowKey), headers: { ...jsonHeaders(), 'If-Match': operation.etag }, body: serialize(operation.entity) };
      case 'delete':
        return { method: 'DELETE', path: this.entityPath(operation.partitionKey, operation.rowKey), headers: { Accept: 'application/json;odata=minimalmetadata', DataServiceVersion: '3.0', 'If-Match': '*' } };
    }
  }

  private entityPath(partitionKey: string, rowKey: string): string {
    const key = (value: string): string => encodeURIComponent(value.replace(/'/g, "''"));
    return `${this.endpoint.basePath}/${this.tableName}(PartitionKey='${key(partitionKey)}',RowKey='${key(rowKey)}')`;
  }

  private send(method: string, path: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<{ status: number; body: string; etag?: string }> {
    const date = new Date().toUTCString();
    const signature = createHmac('sha256', this.account.key).update(`${date}\n/${this.account.accountName}${path}`, 'utf8').digest('base64');
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const { secure, hostname, port } = this.endpoint;
    return new Promise((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)({
        hostname,
        port,
        path,
        method,
        signal,
        agent: secure ? agents.https : agents.http,
        headers: {
          ...headers,
          'x-ms-date': date,
          'x-ms-version': serviceVersion,
          Authorization: `SharedKeyLite ${this.account.accountName}:${signature}`,
          ...(payload === undefined ? {} : { 'Content-Length': String(payload.length) }),
        },
      }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const etag = response.headers.etag;
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(etag === undefined ? {} : { etag }) });
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  }
}

interface RequestParts {
  readonly method: string;
  /** Path and query, percent-encoded as sent (and as signed). */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function jsonHeaders(): Record<string, string> {
  return { 'Content-Type': 'application/json', Accept: 'application/json;odata=minimalmetadata', DataServiceVersion: '3.0' };
}

/** The entity as Table service JSON: PartitionKey/RowKey, dates as Edm.DateTime, fractional numbers as Edm.Double. */
function serialize(entity: Entity): string {
  const json: Record<string, unknown> = { PartitionKey: entity.partitionKey, RowKey: entity.rowKey };
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey' || value === undefined) continue;
    if (value instanceof Date) {
      json[name] = value.toISOString();
      json[`${name}@odata.type`] = 'Edm.DateTime';
    } else if (typeof value === 'number' && !Number.isInteger(value)) {
      json[name] = value;
      json[`${name}@odata.type`] = 'Edm.Double';
    } else if (typeof value === 'number' && (value > 2147483647 || value < -2147483648)) {
      json[name] = String(value);
      json[`${name}@odata.type`] = 'Edm.Int64';
    } else {
      json[name] = value;
    }
  }
  return JSON.stringify(json);
}

function errorFrom(status: number, body: string): TableRequestError {
  let code: string | undefined;
  let message = `Table storage answered ${status}`;
  try {
    const parsed = JSON.parse(body) as { 'odata.error'?: { code?: string; message?: { value?: string } } };
    code = parsed['odata.error']?.code;
    const detail = parsed['odata.error']?.message?.value;
    if (detail !== undefined) message = `${message}: ${detail.split('\n')[0] ?? detail}`;
  } catch {
    // Not an OData error body (a proxy or a dropped connection): the status says enough.
    code = undefined;
  }
  return new TableRequestError(message, status, code);
}

/** The AccountKey of a connection string (already validated by describeStorageConnectionString). */
function accountKeyOf(connectionString: string): string | undefined {
  for (const segment of connectionString.split(';')) {
    const equals = segment.indexOf('=');
    if (equals > 0 && segment.slice(0, equals).trim().toLowerCase() === 'accountkey') return segment.slice(equals + 1).trim();
  }
  return undefined;
}
