import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused body is still read (and dropped) before its connection is closed. */
const lingerMs = 5_000;

/**
 * After a request body is refused unread (413, or an app's early answer): what still comes is read
 * and dropped for a moment, then the connection is closed if the body goes on. Closing at once, on
 * unread data, resets the connection, and a client (or a proxy still writing) whose side is reset
 * loses the answer it had not read yet: it sees a broken pipe instead of the 413. Left alone, a
 * connection whose body stopped being read stays open, paused, until its keep-alive timeout.
 */
export function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  if (req.complete || socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  if (req.destroyed) {
    // Node has let go of the request: nothing reads the socket unless it is resumed here.
    socket.resume();
    return;
  }
  req.once('end', () => clearTimeout(timer));
  req.unpipe();
  req.resume();
}

/**
 * For an answer sent with `Connection: close` before the body was read whole. Node closes such a
 * connection as soon as the answer is written; with body bytes still unread that is a reset, and a
 * client still sending can lose the answer it had not read yet (seen under load). Here only the
 * sending side is ended with the answer; the rest of the body is read and dropped (lingerThenClose),
 * and the connection closes once the body is over, or when the lingering ends.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
  };
  res.once('finish', () => {
    if (req.complete) {
      socket.destroy();
      return;
    }
    req.once('end', () => socket.destroy());
    lingerThenClose(req);
  });
}
