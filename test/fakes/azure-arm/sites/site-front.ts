/**
 * A site's HTTPS front, as App Service's front ends terminate TLS for `<site>.azurewebsites.net`:
 * a TLS server on 127.0.0.1 (the test certificate) that pipes each connection, unread, to the port
 * of the site's app process. A stopped site answers 403 as App Service does; a site whose app does
 * not listen (nothing deployed yet) answers 503.
 */
import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readSiteCertificate } from './test-tls.js';

export interface SiteFrontTarget {
  /** Whether the site is stopped (a 403 then, whatever runs behind). */
  readonly stopped: boolean;
  /** The app's port on 127.0.0.1. */
  readonly appPort: number;
}

const host = '127.0.0.1';

export class SiteFront {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: () => SiteFrontTarget;
  #port = 0;

  private constructor(target: () => SiteFrontTarget) {
    this.#target = target;
    this.#server = createServer(readSiteCertificate(), (client) => this.#serve(client));
    // A failed handshake (a client that does not trust the CA) is the client's to report.
    this.#server.on('tlsClientError', (_error, socket) => socket.destroy());
  }

  /** Listens on a free port not in `avoid`; `target()` is asked on every connection. */
  static async open(target: () => SiteFrontTarget, onError: (error: Error) => void, avoid: ReadonlySet<number>): Promise<SiteFront> {
    for (;;) {
      const front = new SiteFront(target);
      front.#port = await new Promise<number>((resolve, reject) => {
        front.#server.once('error', reject);
        front.#server.listen(0, host, () => {
          front.#server.off('error', reject);
          front.#server.on('error', onError);
          resolve((front.#server.address() as { port: number }).port);
        });
      });
      if (!avoid.has(front.#port)) return front;
      await front.close();
    }
  }

  get port(): number {
    return this.#port;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #serve(client: TLSSocket): void {
    this.#track(client);
    client.on('error', () => client.destroy());
    const { stopped, appPort } = this.#target();
    if (stopped) {
      answerOnce(client, 403, 'Site Disabled', 'Error 403 - This web app is stopped.');
      return;
    }
    const upstream = connect(appPort, host);
    this.#track(upstream);
    let refused = false;
    upstream.once('connect', () => client.pipe(upstream).pipe(client));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && !client.destroyed) {
        refused = true;
        answerOnce(client, 503, 'Service Unavailable', 'Error 503 - The site runs no code yet, or its app is not listening.');
        return;
      }
      client.destroy();
    });
    upstream.on('close', () => {
      if (!refused) client.end();
    });
    client.on('close', () => upstream.destroy());
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}

/** Waits for the request's first bytes, answers, closes: enough for any HTTP/1.1 client. */
function answerOnce(client: TLSSocket, status: number, reason: string, text: string): void {
  const body = `<!DOCTYPE html><html><body><h1>${text}</h1></body></html>`;
  client.once('data', () => {
    client.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
