/**
 * The open connections of the host's HTTP server and the requests in flight on each, so that the
 * host can end them well:
 * - `drain`: the host is being replaced (another process already takes new connections). Every
 *   response from now on says `Connection: close`, and the clients close their idle keep-alive
 *   connections themselves. The server does not close an idle connection, because that races with a
 *   client writing its next request on it, which the client then sees fail ("socket hang up").
 * - `close`: the host stops: idle connections are closed at once, busy ones get a grace period.
 * Node's own tracking (`closeIdleConnections`) only works for a server that listens, which a host
 * handed its connections by its parent does not.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export class ServedConnections {
  /** Every open connection, with the number of its requests not yet answered. */
  readonly #requestsInFlight = new Map<Socket, number>();
  readonly #unanswered = new Set<ServerResponse>();
  #draining = false;
  #closing = false;
  #whenEmpty = new Set<() => void>();

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.#requestsInFlight.set(socket, 0);
      socket.once('close', () => {
        this.#requestsInFlight.delete(socket);
        if (this.#requestsInFlight.size > 0) return;
        for (const resolve of this.#whenEmpty) resolve();
        this.#whenEmpty.clear();
      });
    });
  }

  /** Wraps the server's request handler to count requests per connection. */
  track(handler: () => RequestHandler): RequestHandler {
    return (request, response) => {
      const socket = request.socket;
      const inFlight = this.#requestsInFlight.get(socket);
      if (inFlight !== undefined) this.#requestsInFlight.set(socket, inFlight + 1);
      this.#unanswered.add(response);
      if (this.#draining) response.setHeader('connection', 'close');
      response.once('close', () => {
        this.#unanswered.delete(response);
        const count = this.#requestsInFlight.get(socket);
        if (count === undefined) return;
        this.#requestsInFlight.set(socket, count - 1);
        // Its response was under way when the host began to stop, without Connection: close.
        if (count === 1 && this.#closing) socket.destroy();
      });
      handler()(request, response);
    };
  }

  /**
   * Asks every client to close its connection (each response from now on, and those not yet
   * begun, say `Connection: close`) and resolves once all connections are closed (true), after
   * `timeoutMs` (false), or when `close` cuts it short.
   */
  drain(timeoutMs: number): Promise<boolean> {
    this.#askClientsToClose();
    return this.#emptyWithin(timeoutMs);
  }

  /** Closes idle connections now; busy ones may finish their requests within `graceMs`, then they are cut. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#askClientsToClose();
    for (const [socket, inFlight] of this.#requestsInFlight) if (inFlight === 0) socket.destroy();
    if (!(await this.#emptyWithin(graceMs))) {
      for (const socket of this.#requestsInFlight.keys()) socket.destroy();
    }
    for (const resolve of this.#whenEmpty) resolve();
    this.#whenEmpty.clear();
  }

  #askClientsToClose(): void {
    this.#draining = true;
    for (const response of this.#unanswered) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
  }

  #emptyWithin(timeoutMs: number): Promise<boolean> {
    if (this.#requestsInFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.#requestsInFlight.size === 0);
      };
      const timer = setTimeout(() => {
        this.#whenEmpty.delete(done);
        resolve(false);
      }, timeoutMs);
      this.#whenEmpty.add(done);
    });
  }
}
