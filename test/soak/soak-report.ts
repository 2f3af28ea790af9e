/** What a soak did and found, as figures; `problems` lists every way it broke the promise. Pure. */
import type { ClientTally } from './soak-clients.js';
import type { ScriptTally } from './soak-script.js';

export interface SoakReport {
  readonly lines: readonly string[];
  readonly problems: readonly string[];
}

const routeKeyOf = (version: string | undefined): string => (version ?? '?').split('.').slice(0, 2).join('.');

export function soakReport(clients: ClientTally, script: ScriptTally, durationMs: number): SoakReport {
  const journeys = clients.journeys;
  const by = (state: string): number => journeys.filter((journey) => journey.state === state).length;
  const completed = journeys.filter((journey) => journey.state === 'completed');
  const wrongVersion = completed.filter((journey) => routeKeyOf(journey.startedOn) !== routeKeyOf(journey.finishedOn));
  const expectedEvents = (kind: string): number[] => (kind === 'event' ? [1, 2] : []);
  const doubled = completed.filter((journey) => JSON.stringify(journey.received ?? []) !== JSON.stringify(expectedEvents(journey.kind)));
  const onVersion = new Map<string, number>();
  for (const journey of completed) onVersion.set(journey.finishedOn ?? '?', (onVersion.get(journey.finishedOn ?? '?') ?? 0) + 1);
  const count = (map: ReadonlyMap<string, number>): string => ([...map].length === 0 ? 'none' : [...map].sort().map(([kind, n]) => `${kind}: ${n}`).join(', '));
  const unavoidable = [...clients.unavoidable.values()].reduce((sum, n) => sum + n, 0);

  const lines = [
    `duration ${(durationMs / 1000).toFixed(0)} s; ${clients.requests} requests; ${script.releases.length} releases; ${script.faults.length} faults`,
    `releases: ${script.releases.map((release) => `${release.version} ${release.state}`).join(', ')}`,
    `faults: ${script.faults.join('; ')}`,
    `answers a client retried or moved on from: ${count(clients.answers)}`,
    `failed requests a client could not have avoided: ${unavoidable}${unavoidable === 0 ? '' : ` (${count(clients.unavoidable)})`}`,
    `orchestrations: ${journeys.length} started, ${completed.length} completed, ${by('failed')} failed, ${by('lost')} lost, ${by('not-started')} not started`,
    `events doubled or missing: ${doubled.length}; completed on another major.minor than they started on: ${wrongVersion.length}`,
    `completed on: ${count(onVersion)}`,
  ];
  const problems = [
    ...(unavoidable === 0 ? [] : [`${unavoidable} requests failed after every retry: ${count(clients.unavoidable)}`]),
    ...journeys.filter((journey) => journey.state !== 'completed').map((journey) => `${journey.id} (${journey.kind}) ${journey.state}${journey.detail === undefined ? '' : `: ${journey.detail}`}`),
    ...doubled.map((journey) => `${journey.id} received events ${JSON.stringify(journey.received)}`),
    ...wrongVersion.map((journey) => `${journey.id} started on ${journey.startedOn} and finished on ${journey.finishedOn}`),
    ...script.surprises,
  ];
  return { lines, problems };
}
