/**
 * Requests refused before any route sees them (Node's HTTP parser, Fastify's body parsers and
 * router) answered in the router's error shape, `{ "error": { "code", "message" } }`, instead of
 * Node's bare status line or Fastify's own `{ "error": "Bad Request", ... }`.
 */
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { isRouterError, RouterError } from '../errors/router-error.js';
import { writeErrorOnSocket } from './error-response.js';

const fastifyCodes: Readonly<Record<string, RouterError['code']>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_MAX_PARAM_LENGTH: 'URL_TOO_LONG',
};

const fastifyMessages: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than this route accepts.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This route does not accept a body of that content type; send JSON (content-type: application/json).',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is declared as JSON but is empty; send a JSON value or no content-type.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The content-length does not match the body that was sent.',
  FST_ERR_BAD_URL: 'The URL is not valid: a part of it is not properly percent-encoded.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is longer than the router accepts.',
};

/**
 * What a Fastify or body-parser error means for the client: a RouterError as it is, a 4xx from
 * Fastify with a catalogue code, anything else INTERNAL (the caller logs it).
 */
export function routerErrorOf(error: unknown): RouterError {
  if (isRouterError(error)) return error;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return new RouterError('INTERNAL');
  const code = (error as { code?: unknown }).code;
  const known = typeof code === 'string' ? code : '';
  if (error instanceof SyntaxError) return new RouterError('INVALID_REQUEST', `The body is not valid JSON: ${error.message}.`);
  return new RouterError(fastifyCodes[known] ?? (statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST'),
    fastifyMessages[known] ?? (error instanceof Error ? error.message : undefined));
}

/** What a Node HTTP parser error (the server's `clientError` event) means for the client. */
export function routerErrorOfClientError(error: Error & { code?: string }): RouterError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new RouterError('HEADERS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new RouterError('REQUEST_TIMEOUT');
    default:
      return new RouterError('INVALID_REQUEST', 'The request is not valid HTTP/1.1 and was not read.');
  }
}

/** For a node server that Fastify does not own: answers parser errors on the socket. */
export function answerClientErrors(server: { on(event: 'clientError', listener: (error: Error, socket: Duplex) => void): unknown }, log: FastifyBaseLogger): void {
  server.on('clientError', (error, socket) => answerClientError(error, socket, log));
}

function answerClientError(error: Error & { code?: string }, socket: Duplex, log: FastifyBaseLogger): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  log.debug({ err: error }, 'a request was refused by the HTTP parser');
  writeErrorOnSocket(socket, routerErrorOfClientError(error));
}

type ErrorShapeOptions = Pick<FastifyServerOptions, 'clientErrorHandler' | 'frameworkErrors'>;

/** Fastify server options that answer parser and router refusals in the error shape. */
export function errorShapeServerOptions(): ErrorShapeOptions {
  return {
    clientErrorHandler(this: FastifyInstance, error, socket) {
      answerClientError(error, socket, this.log);
    },
    frameworkErrors(error, _request, reply) {
      const routerError = routerErrorOf(error);
      void (reply as FastifyReply).code(routerError.status).send(routerError.toJSON());
    },
  };
}
