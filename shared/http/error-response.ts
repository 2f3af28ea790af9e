import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { retryAfterSecondsOf } from '../errors/error-catalogue.js';
import type { RouterError } from '../errors/router-error.js';

/** Sent with every error answered by the router: a proxied app's version, when one was chosen. */
export const routedVersionHeader = 'x-routed-version';

/** Answers with the router's JSON error, on the raw node response. */
export function writeErrorResponse(res: ServerResponse, error: RouterError, routedVersion?: string, closeConnection = false): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))];
  if (routedVersion !== undefined) headers.push(routedVersionHeader, routedVersion);
  const retryAfter = retryAfterSecondsOf(error.code);
  if (retryAfter !== undefined) headers.push('retry-after', String(retryAfter));
  if (closeConnection) headers.push('connection', 'close');
  res.writeHead(error.status, headers);
  res.end(body);
}

/**
 * Answers with the router's JSON error straight on a socket that Node's HTTP parser gave up on
 * (no ServerResponse exists then), and closes it: what follows on it cannot be read as HTTP.
 */
export function writeErrorOnSocket(socket: Duplex, error: RouterError): void {
  if (socket.destroyed) return;
  // On a kept-alive connection a response may be under way: a second status line would corrupt it.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(error.toJSON());
    socket.write(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n`
      + `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.end();
  // A client that keeps sending would hold the socket open: give it a moment to read the answer.
  const timer = setTimeout(() => socket.destroy(), 1_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
