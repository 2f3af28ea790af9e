/**
 * What a parent process that holds an app's port tells the host it started with
 * `--handed-connections`, over the IPC channel (`child.send`). The host answers with event lines
 * on stdout, like every other host event: `ready` (it serves HTTP; its durable engine waits),
 * `engine-started`, `stopped`, `error`.
 */
export type ParentMessage =
  /** Sent with the socket as the handle: a connection accepted on the app's port, not yet read. */
  | { readonly type: 'connection' }
  /** Start the durable engine: no other process of the app runs durable work any more. */
  | { readonly type: 'start-engine' }
  /** A newer process takes the new connections: finish with these (clients have at most `timeoutMs` to close them), then stop. */
  | { readonly type: 'drain'; readonly timeoutMs: number };

export function parseParentMessage(message: unknown): ParentMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, timeoutMs } = message as { type?: unknown; timeoutMs?: unknown };
  if (type === 'connection' || type === 'start-engine') return { type };
  if (type === 'drain' && typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs >= 0) return { type, timeoutMs };
  return undefined;
}
