/** What `current`, `drain` and `decommission` print about the change they made. Pure. */

export interface InstanceTally {
  readonly pending: number;
  readonly running: number;
  readonly suspended: number;
  readonly total: number;
}

export interface VersionChange {
  readonly routeKey: string;
  readonly state: string;
  readonly current: string | null;
  readonly app: string;
  readonly forced?: boolean;
  readonly abandoned?: InstanceTally;
}

/** 202: the operation outlived the control plane's wait and goes on there. */
export interface OperationStillRunning {
  readonly id: string;
  readonly state: 'running';
}

export function madeCurrent(change: VersionChange): string {
  return `${change.routeKey} is now the current version (${change.state}, app ${change.app}): requests that name no version go to it.`;
}

export function drainStarted(change: VersionChange): string {
  return `${change.routeKey} is ${change.state}: it takes no new work, calls about its existing instances still reach its app, and its drain monitor marks it drained once none is left unfinished.`;
}

export function decommissioned(change: VersionChange): string {
  return `${change.routeKey} is ${change.state}: its app ${change.app} was deleted; its finished instances can still be queried (durable-router instances --version ${change.routeKey}).`;
}

/** Undefined unless unfinished instances were abandoned. */
export function abandonedWarning(change: VersionChange): string | undefined {
  const abandoned = change.abandoned;
  if (change.forced !== true || abandoned === undefined || abandoned.total === 0) return undefined;
  return `warning: ${change.routeKey} was decommissioned by force, abandoning ${tally(abandoned)}: they will never finish.`;
}

/** Under a refused decommission: how many instances stand in the way and what --force would do. */
export function refusalDetails(routeKey: string, instances: InstanceTally | undefined): string | undefined {
  if (instances === undefined) return undefined;
  return `  ${tally(instances)}; wait for them to finish, or run "durable-router decommission ${routeKey} --force" to abandon them.`;
}

export function stillRunning(operation: OperationStillRunning): string {
  return `the operation ${operation.id} is still running in the control plane and will finish on its own; check with "durable-router versions".`;
}

function tally(instances: InstanceTally): string {
  const noun = instances.total === 1 ? 'unfinished instance' : 'unfinished instances';
  return `${instances.total} ${noun} (${instances.running} running, ${instances.pending} pending, ${instances.suspended} suspended)`;
}
