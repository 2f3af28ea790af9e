import { setTimeout as sleep } from 'node:timers/promises';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import type { AdminClient } from '../admin-client.js';

/** `GET /admin/releases/{id}`, as the CLI reads it. */
export interface ReleaseView {
  readonly id: string;
  readonly version: string;
  readonly routeKey?: string;
  readonly strategy?: string;
  readonly promote?: boolean;
  readonly state: 'pending' | 'running' | 'succeeded' | 'failed';
  readonly step: string;
  readonly progress: number;
  readonly kind?: 'breaking' | 'patch' | null;
  readonly app?: string | null;
  readonly detail?: string;
  readonly failedStep?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly cleanup?: readonly string[];
}

export interface FollowOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Called with every status read, in order. */
  readonly onUpdate: (view: ReleaseView) => void;
}

/** A control plane restarting (a release resumes when it is back) is not the release failing. */
const transientCodes = new Set(['CONTROL_PLANE_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'SHUTTING_DOWN']);

export function hasEnded(view: ReleaseView): boolean {
  return view.state === 'succeeded' || view.state === 'failed';
}

/** Reads the release's status until it has ended; answers the last one (succeeded or failed). */
export async function followRelease(client: AdminClient, id: string, options: FollowOptions): Promise<ReleaseView> {
  const deadline = performance.now() + options.timeoutMs;
  const path = `/admin/releases/${encodeURIComponent(id)}`;
  let lastTransient: RouterError | undefined;
  for (;;) {
    try {
      const view = await client.get<ReleaseView>(path);
      lastTransient = undefined;
      options.onUpdate(view);
      if (hasEnded(view)) return view;
    } catch (error) {
      if (!isRouterError(error) || !transientCodes.has(error.code)) throw error;
      lastTransient = error;
    }
    if (performance.now() > deadline) {
      const cause = lastTransient === undefined ? '' : ` The last attempt to read its status failed: ${lastTransient.message}`;
      throw new RouterError('WAIT_TIMEOUT', `The release ${id} had not ended after ${Math.round(options.timeoutMs / 1000)} s; it goes on in the router: follow it with GET ${path}.${cause}`);
    }
    await sleep(options.intervalMs);
  }
}
