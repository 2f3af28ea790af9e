import { isRouterError } from '../../../shared/errors/router-error.js';
import type { AdminAnswer } from '../admin-client.js';
import { createAdminClient, describeFailure, type GlobalOptions } from '../global-options.js';
import {
  abandonedWarning, decommissioned, drainStarted, madeCurrent, refusalDetails, stillRunning, type InstanceTally, type OperationStillRunning, type VersionChange,
} from '../output/version-change.js';

type Answer = AdminAnswer<VersionChange | OperationStillRunning>;

/** `current <major.minor>`: make a version current (a rollback, when it was draining or drained). */
export async function runCurrentCommand(routeKey: string, global: GlobalOptions): Promise<void> {
  const client = await createAdminClient(global);
  report(await client.post(`/admin/versions/${encodeURIComponent(routeKey)}/current`), global, madeCurrent);
}

/** `drain <major.minor>`: the version takes no new work; its drain monitor starts. */
export async function runDrainCommand(routeKey: string, global: GlobalOptions): Promise<void> {
  const client = await createAdminClient(global);
  report(await client.post(`/admin/versions/${encodeURIComponent(routeKey)}/drain`), global, drainStarted);
}

/** `decommission <major.minor> [--force]`: delete a drained version's app; --force one that has not drained. */
export async function runDecommissionCommand(routeKey: string, options: { readonly force?: boolean | undefined }, global: GlobalOptions): Promise<void> {
  const client = await createAdminClient(global);
  let answer: Answer;
  try {
    answer = await client.delete(`/admin/versions/${encodeURIComponent(routeKey)}${options.force === true ? '?force=true' : ''}`);
  } catch (error) {
    if (!isRouterError(error, 'VERSION_STATE_CONFLICT')) throw error;
    const details = refusalDetails(routeKey, error.details?.['instances'] as InstanceTally | undefined);
    process.stderr.write(`${describeFailure(error)}\n${details === undefined ? '' : `${details}\n`}`);
    process.exitCode = 1;
    return;
  }
  report(answer, global, decommissioned);
  if (answer.status === 200) {
    const warning = abandonedWarning(answer.body as VersionChange);
    if (warning !== undefined) process.stderr.write(`${warning}\n`);
  }
}

function report(answer: Answer, global: GlobalOptions, describe: (change: VersionChange) => string): void {
  if (global.output === 'json') {
    process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${answer.status === 202 ? stillRunning(answer.body as OperationStillRunning) : describe(answer.body as VersionChange)}\n`);
}
