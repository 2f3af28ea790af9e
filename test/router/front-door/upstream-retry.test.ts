/**
 * The front door sends a request again, once, when the app resets a reused keep-alive connection
 * before answering (the race between a server closing an idle connection and a client writing
 * on it), and only when that is safe. The app here is a raw TCP server that decides, per request,
 * to answer or to reset the connection, so each case is deterministic.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { buildFrontDoor } from '../../../router/front-door/build-front-door.js';
import { mayRetry, type FailedAttempt } from '../../../router/front-door/upstream-retry.js';
import { http } from './fixtures/http-client.js';
import { versionEntry, versionMap } from './fixtures/version-maps.js';
import { testRouterKeys } from '../../fixtures/router-keys.js';

interface SeenRequest {
  readonly connection: number;
  /** 1 for the first request on its connection. */
  readonly onConnection: number;
  readonly method: string;
}

/** Answers 200 `{"connection":n}` with keep-alive, unless `reset` says to reset the connection instead. */
class ScriptedApp {
  readonly seen: SeenRequest[] = [];
  reset: (request: SeenRequest, index: number) => boolean = () => false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #connections = 0;

  private constructor() {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  static async start(): Promise<ScriptedApp> {
    const app = new ScriptedApp();
    await new Promise<void>((resolve) => app.#server.listen(0, '127.0.0.1', resolve));
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Forgets what it saw and closes its connections (between tests, while nothing is in flight). */
  clear(): void {
    this.seen.length = 0;
    for (const socket of this.#sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.clear();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    const connection = ++this.#connections;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    let buffered = '';
    let onConnection = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        const request: SeenRequest = { connection, onConnection: ++onConnection, method: head.slice(0, head.indexOf(' ')) };
        this.seen.push(request);
        if (this.reset(request, this.seen.length)) {
          socket.resetAndDestroy();
          return;
        }
        const body = JSON.stringify({ connection });
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nkeep-alive: timeout=60\r\n\r\n${body}`);
      }
    });
  }
}

describe('mayRetry', () => {
  const retryable: FailedAttempt = { code: 'ECONNRESET', reusedConnection: true, responseStarted: false, bodyConsumed: false, attempts: 1 };

  it('retries a first attempt reset on a reused connection before any answer', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']) assert.equal(mayRetry({ ...retryable, code }), true, code);
  });

  it('retries only when every condition holds', () => {
    fc.assert(fc.property(
      fc.record({
        code: fc.constantFrom(undefined, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNREFUSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_DESTROYED'),
        reusedConnection: fc.boolean(),
        responseStarted: fc.boolean(),
        bodyConsumed: fc.boolean(),
        attempts: fc.integer({ min: 1, max: 4 }),
      }),
      (attempt) => {
        const expected = attempt.attempts === 1 && attempt.reusedConnection && !attempt.responseStarted && !attempt.bodyConsumed
          && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(attempt.code ?? '');
        assert.equal(mayRetry(attempt), expected);
      },
    ));
  });
});

describe('front door retry on a reset reused connection', () => {
  let app: ScriptedApp;
  let frontDoor: FastifyInstance;
  let base: string;

  before(async () => {
    app = await ScriptedApp.start();
    const store = new MemoryVersionMapStore(versionMap('1.0', versionEntry('1.0', 'active', ['1.0.0'], app.url)));
    frontDoor = buildFrontDoor({ store, adminKey: 'retry-test-admin-key', routerKeys: testRouterKeys, logger: false, connectionsPerApp: 1 });
    await frontDoor.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(frontDoor.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await frontDoor?.close();
    await app?.close();
  });

  /** One answered request, so that the front door holds an idle keep-alive connection to the app. */
  async function warmUp(): Promise<void> {
    app.clear();
    app.reset = () => false;
    assert.equal((await http(`${base}/api/warm`)).status, 200);
  }

  it('sends a request without a body again on a new connection, and the client sees only the answer', async () => {
    for (const method of ['GET', 'POST']) {
      await warmUp();
      const reused = app.seen[0]?.connection;
      app.reset = (request) => request.connection === reused && request.onConnection === 2;
      const answer = await http(`${base}/api/again`, { method, headers: ['content-length', '0'] });
      assert.equal(answer.status, 200, `${method}: ${answer.body.toString()}`);
      assert.notEqual(answer.json<{ connection: number }>().connection, reused, 'answered on a new connection');
      assert.deepEqual(app.seen.slice(1).map((request) => request.method), [method, method], 'reset once, then sent again');
    }
  });

  it('retries once only: a reset of the retry is the client\'s answer (502)', async () => {
    await warmUp();
    app.reset = (_request, index) => index > 1;
    const answer = await http(`${base}/api/twice`);
    assert.equal(answer.status, 502);
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(app.seen.length, 3, 'the warm-up, the request, one retry');
    assert.deepEqual(app.seen.slice(1).map((request) => request.onConnection), [2, 1], 'the retry went on a new connection');
  });

  it('does not retry a request whose body was already sent', async () => {
    await warmUp();
    app.reset = (_request, index) => index === 2;
    const answer = await http(`${base}/api/with-body`, { method: 'POST', headers: ['content-type', 'application/json'], body: '{"order":1}' });
    assert.equal(answer.status, 502);
    assert.equal(app.seen.length, 2, 'sent once');
  });

  it('does not retry a reset on a fresh connection: the app may have acted on the request', async () => {
    app.clear();
    app.reset = (request) => request.onConnection === 1;
    const answer = await http(`${base}/api/fresh`);
    assert.equal(answer.status, 502);
    assert.equal(app.seen.length, 1, 'sent once');
  });
});
