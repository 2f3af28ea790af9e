/**
 * Durable Functions stamps every new orchestration with the app's `defaultVersion` (durable-router
 * sets it to the release's version) and the instance keeps it for life, in `context.df.version`.
 * Released with `--strategy orchestration-versioning`, one app runs every version: an orchestrator
 * branches on the version its instance started on, so an instance in flight keeps its own steps
 * when newer code is deployed. No version (an app run without one) counts as the oldest.
 */
export function startedOnOrAfter(version: string | undefined, minimum: string): boolean {
  const have = numbersOf(version ?? '');
  const need = numbersOf(minimum);
  if (have === undefined || need === undefined) return false;
  for (let i = 0; i < 3; i++) {
    const difference = (have[i] ?? 0) - (need[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

function numbersOf(version: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}
