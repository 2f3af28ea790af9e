import type { Dispatcher } from 'undici';

/** A request that waits for one of an app's connections. */
export interface QueuedRequest {
  /** Called once a connection is its own: it sends now, and calls `UpstreamQueue.done` when it has ended. */
  send(): void;
}

/**
 * The requests of one app: at most `connections` sent at once (one per pooled connection), at most
 * `maxWaiting` more waiting in arrival order; beyond that a request is refused at once, so that a
 * hung or overwhelmed app costs its clients a quick 503 rather than a long wait. The pool itself
 * then never queues, so a waiting request can be withdrawn (its client left, its time ran out).
 */
export class UpstreamQueue {
  readonly dispatcher: Dispatcher;
  readonly connections: number;
  readonly maxWaiting: number;
  #sending = 0;
  readonly #waiting = new Set<QueuedRequest>();
  #idle: (() => void) | undefined;

  constructor(dispatcher: Dispatcher, connections: number, maxWaiting: number) {
    this.dispatcher = dispatcher;
    this.connections = connections;
    this.maxWaiting = maxWaiting;
  }

  get sending(): number {
    return this.#sending;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  /** Sends or queues the request; false when the queue is full (nothing was done). */
  enter(request: QueuedRequest): boolean {
    if (this.#sending < this.connections) {
      this.#sending++;
      request.send();
      return true;
    }
    if (this.#waiting.size >= this.maxWaiting) return false;
    this.#waiting.add(request);
    return true;
  }

  /** Takes a waiting request out of the queue; false when it was not waiting (it had been sent). */
  withdraw(request: QueuedRequest): boolean {
    return this.#waiting.delete(request);
  }

  /** A sent request has ended: its connection goes to the request that has waited longest. */
  done(): void {
    const next = this.#waiting.values().next();
    if (next.done === true) {
      this.#sending--;
      if (this.#sending === 0) this.#idle?.();
      return;
    }
    this.#waiting.delete(next.value);
    next.value.send();
  }

  /** Closes the pool once every request sent or waiting has ended (the pool alone would refuse the waiting ones). */
  async close(): Promise<void> {
    if (this.#sending > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    await this.dispatcher.close();
  }
}
