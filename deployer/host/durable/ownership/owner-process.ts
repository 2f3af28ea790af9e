/**
 * Which process holds a lease, so that an engine on the same machine can see that the holder is
 * gone (killed, crashed) and take the hub at once instead of waiting out its lease. Only a
 * process of this machine can be looked at; any other owner is taken to be alive.
 */
import { hostname } from 'node:os';

export function thisProcess(): string {
  return `${hostname()}/${process.pid}`;
}

export function ownerProcessIsGone(ownerProcess: string): boolean {
  const at = ownerProcess.lastIndexOf('/');
  if (at <= 0 || ownerProcess.slice(0, at) !== hostname()) return false;
  const pid = Number(ownerProcess.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, run by someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
