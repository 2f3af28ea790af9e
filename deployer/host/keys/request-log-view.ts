/**
 * How the host's HTTP log shows a request (Fastify's `req` serializer): its method and path, never
 * the query string, which may carry a key as `code`, nor the durable client's token.
 */
import { pathWithoutQuery } from '../../../shared/secrets/loggable-path.js';
import { durableClientRoutePrefix } from './durable-client-path.js';

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
}

const clientPathStart = durableClientRoutePrefix.slice(0, durableClientRoutePrefix.indexOf(':'));

export function requestLogView(request: LoggedRequest): Record<string, unknown> {
  return { method: request.method, url: loggablePath(request.url ?? ''), remoteAddress: request.ip };
}

export function loggablePath(url: string): string {
  const path = pathWithoutQuery(url);
  if (!path.toLowerCase().startsWith(clientPathStart)) return path;
  const tokenEnd = path.indexOf('/', clientPathStart.length);
  return `${clientPathStart}[token]${tokenEnd < 0 ? '' : path.slice(tokenEnd)}`;
}
