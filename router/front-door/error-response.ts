import type { ServerResponse } from 'node:http';
import type { RouterError } from '../../shared/errors/router-error.js';
import { routedVersionHeader } from './hop-by-hop-headers.js';

/** Answers a proxied request with the router's JSON error, on the raw node response. */
export function writeErrorResponse(res: ServerResponse, error: RouterError, routedVersion?: string, closeConnection = false): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))];
  if (routedVersion !== undefined) headers.push(routedVersionHeader, routedVersion);
  if (closeConnection) headers.push('connection', 'close');
  res.writeHead(error.status, headers);
  res.end(body);
}
