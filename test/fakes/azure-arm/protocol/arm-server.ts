/**
 * The fake's HTTP front: ARM's request pipeline as a client meets it. In order: the bearer token
 * (401), the route (paths matched case-insensitively), the api-version (400), the subscription
 * (404), the body (415, 400), injected faults, then the operation. Every ARM call answered is
 * recorded; calls to `/__fake/...` (the test control surface) are not ARM's and are not.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isRouterError } from '../../../../shared/errors/router-error.js';
import { fakeArmNow, type FakeArmAccounting } from '../accounting/fake-arm-accounting.js';
import type { FaultBook } from '../faults/fault-injection.js';
import type { RouteTable } from '../operations/route-table.js';
import { ArmError, armLevelError, errorBody, type ErrorShape } from './arm-error.js';

export interface ArmRequest {
  readonly operationId: string;
  readonly method: string;
  /** The path as sent, without the query. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
}

export interface ArmResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationHandler {
  run(request: ArmRequest): Promise<ArmResponse>;
  /** The operation applies `faults.delay` itself (long-running operations, deployments). */
  readonly ownsDelay?: boolean;
}

export interface ControlRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface ArmServerOptions {
  readonly port: number;
  readonly token: string;
  readonly subscriptionId: string;
  readonly routes: RouteTable;
  readonly handlers: ReadonlyMap<string, OperationHandler>;
  readonly faults: FaultBook;
  readonly accounting: FakeArmAccounting;
  /** The shape of an operation's errors when a fault does not choose one. */
  readonly errorShape: (operationId: string) => ErrorShape;
  readonly control: (request: ControlRequest) => Promise<ArmResponse>;
  readonly logger: Logger;
}

export interface ArmServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

const host = '127.0.0.1';
const maxBodyBytes = 4 * 1024 * 1024;
const controlPrefix = '/__fake/';

export async function startArmServer(options: ArmServerOptions): Promise<ArmServer> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((request, response) => {
    const handling = handle(options, request, response).catch((error: unknown) => {
      // Only writing the answer can fail here (the client went away); the call itself was recorded.
      options.logger.warn({ err: error }, 'the fake ARM could not send an answer');
      response.destroy();
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
  return {
    endpoint: `http://${host}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      // An operation whose client went away still finishes (it may be creating a site): wait for it.
      await Promise.allSettled([...inFlight]);
    },
  };
}

async function handle(options: ArmServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const startedAt = fakeArmNow();
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', `http://${host}`);
  const path = url.pathname;
  if (path.startsWith(controlPrefix)) {
    await send(response, method, await control(options, request, method, path), 'wrapped');
    return;
  }
  let operationId = '(unrouted)';
  let answer: ArmResponse;
  try {
    const match = options.routes.match(method, path);
    if (match.kind === 'operation') operationId = match.route.operationId;
    authorize(request, options.token);
    if (match.kind === 'none') throw armLevelError(404, 'NotServedByFakeArm', `The fake ARM serves no operation at ${method} ${path}. Its operations are listed in test/fakes/azure-arm/operations/served-operations.ts.`);
    if (match.kind === 'method-not-allowed') throw armLevelError(405, 'NotServedByFakeArm', `The fake ARM serves ${match.allowed.join(', ')} at ${path}, not ${method}.`);
    checkApiVersion(url.searchParams, match.route.apiVersion);
    checkSubscription(match.params, options.subscriptionId);
    const body = parseBody(request, await readBody(request));
    const injected = options.faults.takeFailure(operationId);
    if (injected !== undefined) throw injected;
    const handler = options.handlers.get(operationId);
    if (handler === undefined) throw armLevelError(501, 'NotServedByFakeArm', `The fake ARM routes ${operationId} but has no handler for it.`);
    const delay = handler.ownsDelay === true ? undefined : options.faults.delayOf(operationId);
    if (delay !== undefined) await sleep(delay);
    answer = await handler.run({ operationId, method, path, params: match.params, query: url.searchParams, body });
  } catch (error) {
    answer = errorAnswer(error, options.logger, operationId);
  }
  try {
    await send(response, method, answer, options.errorShape(operationId));
  } finally {
    const endedAt = fakeArmNow();
    options.accounting.recordCall({ operationId, method, path, status: answer.status, startedAt, endedAt });
    options.logger.debug({ operationId, method, path, status: answer.status, ms: Math.round(endedAt - startedAt) }, 'fake ARM call');
  }
}

async function control(options: ArmServerOptions, request: IncomingMessage, method: string, path: string): Promise<ArmResponse> {
  try {
    authorize(request, options.token);
    const text = await readBody(request);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw armLevelError(400, 'InvalidRequestContent', `The body is not JSON: ${(error as Error).message}`);
    }
    return await options.control({ method, path, body });
  } catch (error) {
    if (isRouterError(error)) return { status: error.status, body: error.toJSON() };
    return errorAnswer(error, options.logger, path);
  }
}

function authorize(request: IncomingMessage, token: string): void {
  const header = request.headers.authorization;
  const challenge = { 'www-authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"' };
  if (header === undefined || header === '') {
    throw armLevelError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge);
  }
  const [scheme, value] = header.split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'bearer' || value !== token) {
    throw armLevelError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge);
  }
}

function checkApiVersion(query: URLSearchParams, supported: string): void {
  const given = [...query.entries()].find(([name]) => name.toLowerCase() === 'api-version')?.[1];
  if (given === undefined || given === '') {
    throw armLevelError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (given !== supported) {
    throw armLevelError(400, 'InvalidApiVersionParameter', `The api-version '${given}' is invalid. The supported versions are '${supported}'.`);
  }
}

function checkSubscription(params: Readonly<Record<string, string>>, subscriptionId: string): void {
  const named = params['subscriptionId'] ?? /^subscriptions\/([^/]+)/i.exec(params['scope'] ?? '')?.[1];
  if (named !== undefined && named.toLowerCase() !== subscriptionId.toLowerCase()) {
    throw armLevelError(404, 'SubscriptionNotFound', `The subscription '${named}' could not be found.`);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBodyBytes) throw armLevelError(413, 'RequestEntityTooLarge', `The request body is larger than the ${maxBodyBytes} bytes the fake ARM takes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(request: IncomingMessage, text: string): unknown {
  if (text.trim() === '') return undefined;
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    throw armLevelError(415, 'UnsupportedMediaType', `The content media type '${contentType}' is not supported. Only 'application/json' is supported.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw armLevelError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`);
  }
}

function errorAnswer(error: unknown, logger: Logger, operationId: string): ArmResponse {
  if (error instanceof ArmError) return { status: error.status, body: error, headers: error.headers };
  logger.error({ err: error, operationId }, 'the fake ARM failed on an operation');
  const message = error instanceof Error ? error.message : String(error);
  const code = isRouterError(error) ? error.code : 'InternalServerError';
  return { status: 500, body: new ArmError(500, code, `The fake ARM failed on ${operationId}: ${message}`) };
}

/** `providerShape`: how the operation's resource provider words its errors. */
async function send(response: ServerResponse, method: string, answer: ArmResponse, providerShape: ErrorShape): Promise<void> {
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...answer.headers };
  const error = answer.body instanceof ArmError ? answer.body : undefined;
  const payload = error === undefined ? answer.body : errorBody(error, error.shape ?? (error.fromArm ? 'wrapped' : providerShape));
  let text = '';
  if (payload !== undefined && method !== 'HEAD') {
    text = JSON.stringify(payload);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(answer.status, headers);
  await new Promise<void>((resolve, reject) => response.end(text, () => resolve()).once('error', reject));
}
