import { RouterError } from '../errors/router-error.js';
import type { VersionState } from './version-map.js';

/**
 * Legal state changes of a version's app. `drained → active` is allowed (a rollback): the grace
 * period between drained and decommissioned exists so operators can still go back while the app
 * is deployed. `failed → decommissioned` cleans up what a failed provisioning left behind.
 */
const lifecycleTransitions: Readonly<Record<VersionState, readonly VersionState[]>> = Object.freeze({
  provisioning: ['active', 'failed'],
  active: ['draining'],
  draining: ['active', 'drained'],
  drained: ['active', 'decommissioned'],
  decommissioned: [],
  failed: ['decommissioned'],
});

/** Allowed only with `force`: decommissioning an app that may still have unfinished instances. */
const forcedLifecycleTransitions: Readonly<Record<VersionState, readonly VersionState[]>> = Object.freeze({
  provisioning: [],
  active: ['decommissioned'],
  draining: ['decommissioned'],
  drained: [],
  decommissioned: [],
  failed: [],
});

export function canTransition(from: VersionState, to: VersionState, options: { force?: boolean } = {}): boolean {
  return lifecycleTransitions[from].includes(to) || (options.force === true && forcedLifecycleTransitions[from].includes(to));
}

/** Returns `to` if `from → to` is legal, else a VERSION_STATE_CONFLICT saying what is possible. */
export function checkTransition(routeKey: string, from: VersionState, to: VersionState, options: { force?: boolean } = {}): VersionState {
  if (canTransition(from, to, options)) return to;
  const needsForce = forcedLifecycleTransitions[from].includes(to);
  const legal = lifecycleTransitions[from];
  const reason = needsForce
    ? `it may still have unfinished orchestrations: drain it first, or force it`
    : legal.length === 0
      ? `a ${from} version never changes state`
      : `from ${from} it can only become ${legal.join(' or ')}`;
  return conflict(routeKey, from, to, reason);
}

function conflict(routeKey: string, from: VersionState, to: VersionState, reason: string): never {
  throw new RouterError('VERSION_STATE_CONFLICT', `Version ${routeKey} is ${from} and cannot become ${to}: ${reason}.`, {
    details: { routeKey, state: from, requestedState: to },
  });
}
