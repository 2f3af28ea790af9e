/**
 * The built-in HTTP API under /runtime/webhooks/durabletask, with the routes, status codes and
 * bodies of the Durable Functions extension. The JavaScript durable client calls the same routes
 * (its `rpcBaseUrl` points here, or at the same routes under the host's durable client path when
 * the host enforces keys), so `df.getClient(context)` and plain HTTP clients both work.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RouterError } from '../../../../shared/errors/router-error.js';
import { routerErrorOf } from '../../../../shared/http/parser-rejections.js';
import { runtimeStatuses, type RuntimeStatus } from '../../../../shared/tracking-store/tracking-store-schema.js';
import type { ClientOperations, ControlKind } from '../runtime/client-operations.js';
import { StorageUnavailableError } from '../storage/storage-call-policy.js';
import type { InstanceQuery, InstanceState } from '../storage/tracking-store.js';
import { checkStatusPayload, statusPayload, webhookPath } from './status-payload.js';

export interface ManagementApiOptions {
  readonly client: ClientOperations;
  /** The host's own origin, used when a request carries no Host header. */
  readonly baseUrl: string;
  /** The origin of the URLs the API hands out (`https://${WEBSITE_HOSTNAME}`); default: the request's. */
  readonly publicOrigin?: string;
  /** The key those URLs carry as `code` (the durable extension's system key), when the host enforces keys. */
  readonly code?: () => string;
  readonly logger: Logger;
}

type Query = Record<string, string | undefined>;
type Request = FastifyRequest<{ Params: Record<string, string>; Querystring: Query; Body: string | undefined }>;

const defaultPageSize = 100;
const startRetryAfterSeconds = '10';
const statusRetryAfterSeconds = '5';
const storeRetryAfterSeconds = '5';
const emptyEntityKey = '$';

/** Serves the API under `prefix` (a route prefix, which may hold parameters). */
export function registerManagementApi(server: FastifyInstance, options: ManagementApiOptions, prefix: string = webhookPath): void {
  void server.register(async (scope) => {
    // Bodies are read as text: the extension accepts any JSON (or none) and answers 400 itself.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof StorageUnavailableError) {
        options.logger.warn({ err: error }, 'Durable HTTP API request gave up on storage');
        const unavailable = new RouterError('STORE_UNAVAILABLE', `The task hub's storage did not answer in time; nothing may have been done, retry the request. (${error.message})`);
        return reply.code(unavailable.status).header('retry-after', storeRetryAfterSeconds).send(unavailable.toJSON());
      }
      const routerError = routerErrorOf(error);
      if (routerError.status < 500) return reply.code(routerError.status).send(routerError.toJSON());
      options.logger.error({ err: error }, 'Durable HTTP API request failed');
      return reply.code(500).send(new RouterError('INTERNAL', 'Something went wrong while processing your request.').toJSON());
    });
    new ManagementRoutes(options, prefix).register(scope);
  }, { prefix });
}

class ManagementRoutes {
  /** How many path segments the prefix takes: what follows them is the same under every prefix. */
  private readonly prefixSegments: number;

  constructor(private readonly options: ManagementApiOptions, prefix: string) {
    this.prefixSegments = prefix.split('/').length - 1;
  }

  register(scope: FastifyInstance): void {
    const handle = (fn: (request: Request, reply: FastifyReply) => Promise<unknown>) => fn.bind(this);
    scope.post('/orchestrators/:functionName', handle(this.start));
    scope.post('/orchestrators/:functionName/:instanceId', handle(this.start));
    for (const path of ['/instances', '/instances/']) {
      scope.get(path, handle(this.query));
      scope.delete(path, handle(this.purgeMany));
    }
    scope.get('/instances/:instanceId', handle(this.status));
    scope.delete('/instances/:instanceId', handle(this.purge));
    scope.post('/instances/:instanceId/raiseEvent/:eventName', handle(this.raiseEvent));
    scope.post('/instances/:instanceId/:operation', handle(this.operation));
    scope.get('/entities/:entityName', handle(this.listEntities));
    scope.get('/entities/:entityName/:entityKey', handle(this.readEntity));
    scope.post('/entities/:entityName/:entityKey', handle(this.signalEntity));
    scope.delete('/entities/:entityName/:entityKey', handle(this.signalEntity));
  }

  private async start(request: Request, reply: FastifyReply): Promise<unknown> {
    this.checkTaskHub(request);
    const input = jsonBody(request.body, 'orchestration input');
    const functionName = param(request, 'functionName');
    const id = await this.options.client.start(functionName, optionalParam(request, 'instanceId'), input, nonEmpty(request.query.version));
    const origin = this.origin(request);
    const timeout = seconds(request.query.timeout);
    const interval = seconds(request.query.pollingInterval);
    if (timeout !== undefined && interval !== undefined) return this.waitForCompletion(request, reply, id, timeout, interval);
    const body = checkStatusPayload(origin, id, this.options.client.taskHubName, this.options.code?.());
    return reply.code(202).header('location', body.statusQueryGetUri).header('retry-after', startRetryAfterSeconds).send(body);
  }

  private async waitForCompletion(request: Request, reply: FastifyReply, instanceId: string, timeoutMs: number, intervalMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const instance = await this.options.client.status(instanceId);
      if (instance?.runtimeStatus === 'Completed') return reply.code(200).send(statusPayload(instance, { showInput: true, showHistoryOutput: false }).output);
      if (instance !== undefined && ['Failed', 'Terminated', 'Canceled'].includes(instance.runtimeStatus)) {
        return reply.code(200).send(statusPayload(instance, { showInput: true, showHistoryOutput: false }));
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
    }
    const body = checkStatusPayload(this.origin(request), instanceId, this.options.client.taskHubName, this.options.code?.());
    return reply.code(202).header('location', body.statusQueryGetUri).header('retry-after', startRetryAfterSeconds).send(body);
  }

  private async status(request: Request, reply: FastifyReply): Promise<unknown> {
    const instanceId = param(request, 'instanceId');
    const instance = await this.options.client.status(instanceId);
    if (instance === undefined) throw notFound(instanceId);
    const showHistory = flag(request.query.showHistory, false);
    const history = showHistory && instance.runtimeStatus !== 'Pending' ? await this.options.client.history(instanceId) : undefined;
    const body = statusPayload(instance, {
      showInput: flag(request.query.showInput, true),
      showHistoryOutput: flag(request.query.showHistoryOutput, false),
      ...(history === undefined ? {} : { history }),
    });
    switch (instance.runtimeStatus) {
      case 'Pending':
      case 'Running':
      case 'ContinuedAsNew':
      case 'Suspended':
        return reply.code(202).header('location', this.requestUrl(request)).header('retry-after', statusRetryAfterSeconds).send(body);
      case 'Failed':
        return reply.code(flag(request.query.returnInternalServerErrorOnFailure, false) ? 500 : 200).send(body);
      default:
        return reply.code(200).send(body);
    }
  }

  private async query(request: Request, reply: FastifyReply): Promise<unknown> {
    const query = instanceQuery(request.query);
    const top = positiveInteger(request.query.top) ?? defaultPageSize;
    const token = headerValue(request.headers['x-ms-continuation-token']);
    const page = await this.options.client.query(query, top, token);
    const showInput = query.showInput !== false;
    return reply
      .code(200)
      .header('x-ms-continuation-token', page.continuationToken ?? '')
      .send(page.instances.map((instance: InstanceState) => statusPayload(instance, { showInput, showHistoryOutput: false })));
  }

  private async purge(request: Request, reply: FastifyReply): Promise<unknown> {
    await this.options.client.purge(param(request, 'instanceId'));
    return reply.code(200).send({ instancesDeleted: 1 });
  }

  private async purgeMany(request: Request, reply: FastifyReply): Promise<unknown> {
    const query = instanceQuery(request.query);
    if (query.createdTimeFrom === undefined) {
      throw new RouterError('INVALID_REQUEST', "Please provide value for 'createdTimeFrom' parameter.");
    }
    const deleted = await this.options.client.purgeMany({ ...query, createdTimeTo: query.createdTimeTo ?? new Date() });
    if (deleted === 0) throw new RouterError('INSTANCE_NOT_FOUND', 'No finished instances of this task hub match the filter.');
    return reply.code(200).send({ instancesDeleted: deleted });
  }

  private async raiseEvent(request: Request, reply: FastifyReply): Promise<unknown> {
    this.checkTaskHub(request);
    const contentType = headerValue(request.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') throw new RouterError('INVALID_REQUEST', 'Only application/json request content is supported.');
    const input = jsonBody(request.body, 'event data');
    await this.options.client.raiseEvent(param(request, 'instanceId'), param(request, 'eventName'), input);
    return reply.code(202).send();
  }

  private async operation(request: Request, reply: FastifyReply): Promise<unknown> {
    this.checkTaskHub(request);
    const instanceId = param(request, 'instanceId');
    const operation = param(request, 'operation').toLowerCase();
    const reason = request.query.reason;
    if (operation === 'terminate' || operation === 'suspend' || operation === 'resume') {
      await this.options.client.control(instanceId, operation as ControlKind, reason);
      return reply.code(202).send();
    }
    if (operation === 'restart') {
      const instance = await this.options.client.status(instanceId);
      if (instance === undefined) throw notFound(instanceId);
      const newId = flag(request.query.restartWithNewInstanceId, true) ? undefined : instanceId;
      const id = await this.options.client.start(instance.name, newId, instance.input, instance.version);
      const body = checkStatusPayload(this.origin(request), id, this.options.client.taskHubName, this.options.code?.());
      return reply.code(202).header('location', body.statusQueryGetUri).header('retry-after', startRetryAfterSeconds).send(body);
    }
    if (operation === 'rewind') {
      return reply.code(501).send(new RouterError('INVALID_REQUEST', 'Rewind is not supported by the local host.').toJSON());
    }
    throw new RouterError('NOT_FOUND', `No instance operation "${operation}": use terminate, suspend, resume, restart or raiseEvent.`);
  }

  private async readEntity(request: Request, reply: FastifyReply): Promise<unknown> {
    const { name, key } = entityAddress(request);
    const state = await this.options.client.readEntity(name, key);
    if (state === undefined) throw new RouterError('INSTANCE_NOT_FOUND', `Entity @${name}@${key} does not exist.`);
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(state);
  }

  private async listEntities(_request: Request, _reply: FastifyReply): Promise<unknown> {
    throw new RouterError('INVALID_REQUEST', 'Listing entities is not supported by the local host; read one entity with entities/{name}/{key}.');
  }

  private async signalEntity(request: Request, reply: FastifyReply): Promise<unknown> {
    this.checkTaskHub(request);
    const { name, key } = entityAddress(request);
    const operation = request.method === 'DELETE' ? 'delete' : request.query.op ?? '';
    const contentType = headerValue(request.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
    const text = request.body;
    let input: string | undefined;
    if (text !== undefined && text !== '') input = contentType === 'application/json' ? jsonBody(text, 'operation input') : JSON.stringify(text);
    await this.options.client.signalEntity(name, key, operation, input);
    return reply.code(202).send();
  }

  private checkTaskHub(request: Request): void {
    const taskHub = nonEmpty(request.query.taskHub);
    if (taskHub !== undefined && taskHub.toLowerCase() !== this.options.client.taskHubName.toLowerCase()) {
      throw new RouterError('INVALID_REQUEST', `This host runs task hub "${this.options.client.taskHubName}", not "${taskHub}".`);
    }
  }

  private origin(request: Request): string {
    if (this.options.publicOrigin !== undefined) return this.options.publicOrigin;
    const host = headerValue(request.headers.host);
    return host === undefined ? this.options.baseUrl : `${request.protocol}://${host}`;
  }

  /** The request's URL as clients know it: under the public webhook path, whatever prefix it came in by. */
  private requestUrl(request: Request): string {
    const afterPrefix = request.url.split('/').slice(this.prefixSegments + 1).join('/');
    return `${this.origin(request)}${webhookPath}/${afterPrefix}`;
  }
}

function param(request: Request, name: string): string {
  const value = request.params[name];
  if (value === undefined || value === '') throw new RouterError('INVALID_REQUEST', `The route parameter "${name}" is missing.`);
  return value;
}

function optionalParam(request: Request, name: string): string | undefined {
  return nonEmpty(request.params[name]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function notFound(instanceId: string): RouterError {
  return new RouterError('INSTANCE_NOT_FOUND', `No orchestration instance has the id "${instanceId}".`, { details: { instanceId } });
}

/** The body as JSON text (validated), or undefined when there is none. */
function jsonBody(body: string | undefined, what: string): string | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    JSON.parse(body);
  } catch (error) {
    throw new RouterError('INVALID_REQUEST', `Invalid JSON content in the ${what}: ${(error as Error).message}`);
  }
  return body.trim();
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return fallback;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number * 1000 : undefined;
}

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? Math.min(number, 1000) : undefined;
}

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new RouterError('INVALID_REQUEST', `The query parameter "${name}" is not a date: "${value}".`);
  return parsed;
}

function instanceQuery(query: Query): InstanceQuery {
  const statuses = (query.runtimeStatus ?? '')
    .split(',')
    .map((status) => runtimeStatuses.find((known) => known.toLowerCase() === status.trim().toLowerCase()))
    .filter((status): status is RuntimeStatus => status !== undefined);
  const from = date(query.createdTimeFrom, 'createdTimeFrom');
  const to = date(query.createdTimeTo, 'createdTimeTo');
  const prefix = nonEmpty(query.instanceIdPrefix);
  return {
    ...(statuses.length === 0 ? {} : { runtimeStatus: statuses }),
    ...(from === undefined ? {} : { createdTimeFrom: from }),
    ...(to === undefined ? {} : { createdTimeTo: to }),
    ...(prefix === undefined ? {} : { instanceIdPrefix: prefix }),
    showInput: flag(query.showInput, true),
  };
}

function entityAddress(request: Request): { name: string; key: string } {
  const key = param(request, 'entityKey');
  return { name: param(request, 'entityName'), key: key === emptyEntityKey ? '' : key };
}
