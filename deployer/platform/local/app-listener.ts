/**
 * An app's port, held by the platform rather than by the app's process: it accepts connections
 * and hands each one, unread, to the process that serves the app now. Replacing that process is
 * then a matter of handing new connections to the new one while the old one finishes with those
 * it has, so clients never find the port closed (Node 20 cannot share a port between two
 * listeners). While no process serves (one is starting) connections wait for the next one.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface ConnectionTarget {
  handConnection(socket: Socket): void;
}

/** Beyond this many waiting connections, new ones are closed: nothing is coming to serve them soon. */
const maxWaiting = 1_024;
const host = '127.0.0.1';

export class AppListener {
  readonly #server: Server;
  readonly #waiting = new Set<Socket>();
  #target: ConnectionTarget | undefined;

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      if (this.#target !== undefined) {
        this.#target.handConnection(socket);
      } else if (this.#waiting.size < maxWaiting) {
        this.#waiting.add(socket);
        socket.once('close', () => this.#waiting.delete(socket));
      } else {
        socket.destroy();
      }
    });
  }

  /**
   * Listens on the port (127.0.0.1). Rejects with the system's error (e.g. EADDRINUSE) when it
   * cannot; `onError` gets what goes wrong later (e.g. EMFILE while accepting).
   */
  static open(port: number, onError: (error: Error) => void): Promise<AppListener> {
    const server = createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', onError);
        resolve(new AppListener(server));
      });
    });
  }

  /** From now on connections go to `target` (those waiting first); undefined: they wait. */
  serveWith(target: ConnectionTarget | undefined): void {
    this.#target = target;
    if (target === undefined) return;
    for (const socket of this.#waiting) {
      this.#waiting.delete(socket);
      target.handConnection(socket);
    }
  }

  /**
   * Stops listening at once (the port is free again); connections still waiting are closed.
   * Connections already handed over are the processes' to end: this does not wait for them.
   */
  close(): void {
    this.#target = undefined;
    for (const socket of this.#waiting) socket.destroy();
    this.#waiting.clear();
    this.#server.close();
  }
}
