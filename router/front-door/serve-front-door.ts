import type { FastifyInstance } from 'fastify';
import { buildFrontDoor } from './build-front-door.js';
import type { FrontDoorOptions } from './front-door-options.js';

export interface ServeFrontDoorOptions extends FrontDoorOptions {
  readonly port: number;
  /** Default 127.0.0.1; use 0.0.0.0 in a container. */
  readonly host?: string | undefined;
  /** Close gracefully on SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean | undefined;
}

export interface RunningFrontDoor {
  /** e.g. "http://127.0.0.1:7070". */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Settles once the front door has closed, whether by close(), app.close() or a signal. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

const signals = ['SIGTERM', 'SIGINT'] as const;

/**
 * Builds the front door and listens. On SIGTERM/SIGINT it stops taking requests (503 with
 * `connection: close` to anything that still arrives), lets requests in flight finish and closes
 * its app connections; the process then exits once nothing else keeps it alive.
 */
export async function serveFrontDoor(options: ServeFrontDoorOptions): Promise<RunningFrontDoor> {
  const { port, host = '127.0.0.1', handleSignals = true, ...frontDoorOptions } = options;
  const app = buildFrontDoor(frontDoorOptions);
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'closing the front door');
    app.close().catch((error: unknown) => app.log.error({ err: error }, 'the front door did not close cleanly'));
  };
  let settle: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    settle = resolve;
  });
  app.addHook('onClose', async () => {
    for (const signal of signals) process.off(signal, onSignal);
    settle();
  });

  let url: string;
  try {
    url = await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  if (handleSignals) for (const signal of signals) process.once(signal, onSignal);
  return { url, app, closed, close: () => app.close() };
}
