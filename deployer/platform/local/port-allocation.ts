import { createServer } from 'node:net';
import { RouterError } from '../../../shared/errors/router-error.js';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

const host = '127.0.0.1';

/** Whether the port can be listened on right now (a snapshot: it may be taken a moment later). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A port for a new app: the first free one of the range that no other app holds, or, without a
 * range, one the operating system picks.
 */
export async function allocatePort(taken: ReadonlySet<number>, range: PortRange | undefined): Promise<number> {
  if (range === undefined) {
    for (;;) {
      const port = await systemPickedPort();
      if (!taken.has(port)) return port;
    }
  }
  for (let port = range.first; port <= range.last; port++) {
    if (!taken.has(port) && (await isPortFree(port))) return port;
  }
  throw new RouterError('PLATFORM_OPERATION_FAILED', `No free port is left for a new app in ${range.first}-${range.last}; widen the local platform's port range or delete apps.`);
}

function systemPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('No port was assigned.'))));
    });
  });
}
