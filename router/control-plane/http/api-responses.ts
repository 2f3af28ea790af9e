import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { bodyTooLarge } from '../../../shared/http/body-limit.js';
import { AdminKey } from '../../front-door/admin-key.js';

/** Runs a handler and answers its RouterError as `{ error: { code, message } }` with the code's status. */
export async function respond(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (error) {
    if (isRouterError(error)) {
      if (error.status >= 500) context.error(`${error.code}: ${error.message}`);
      return { status: error.status, jsonBody: error.toJSON() };
    }
    context.error('The control plane failed to answer a request', error);
    return { status: 500, jsonBody: new RouterError('INTERNAL').toJSON() };
  }
}

const keys = new Map<string, AdminKey>();

/** The control plane's API takes `Authorization: Bearer <control plane key>` (the front door sends it). */
export function authorize(request: HttpRequest, key: string): void {
  let checker = keys.get(key);
  if (checker === undefined) {
    checker = new AdminKey(key);
    keys.set(key, checker);
  }
  if (!checker.matchesAuthorization(request.headers.get('authorization') ?? undefined)) {
    throw new RouterError('UNAUTHORIZED', 'The control plane needs its key: Authorization: Bearer <key>.');
  }
}

/** A release or operator request in JSON is small; a package comes as a zip body or a reference. */
const maxJsonBodyBytes = 1024 * 1024;

/** Reads the body as it streams in, and stops at the first byte over the JSON limit. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  if (Number(request.headers.get('content-length') ?? -1) > maxJsonBodyBytes) throw bodyTooLarge(maxJsonBodyBytes, 'a JSON request');
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of (request.body ?? []) as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (bytes > maxJsonBodyBytes) throw bodyTooLarge(maxJsonBodyBytes, 'a JSON request');
    chunks.push(Buffer.from(chunk));
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new RouterError('INVALID_REQUEST', 'The request has no body: send JSON.');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RouterError('INVALID_REQUEST', `The request body is not JSON: ${(error as Error).message}.`);
  }
}
