/**
 * The story `npm run demo` tells, once the router runs: release 1.0.0, start work that takes a
 * while, release 1.1.0 (breaking) while clients keep calling, watch 1.0's instances finish on 1.0's
 * app and new ones start on 1.1's, then 1.0 drain, drain out and be decommissioned.
 */
import { ClientTraffic, type TrafficTally } from './client-traffic.js';
import type { DemoSession, HttpAnswer } from './demo-session.js';
import type { Narrator } from './narrator.js';

export interface DemoStoryOptions {
  readonly narrator: Narrator;
  readonly session: DemoSession;
  /** Staged packages of the sample app as 1.0.0 and as 1.1.0. */
  readonly packages: { readonly v1: string; readonly v1dot1: string };
  readonly drainPollMs: number;
  readonly decommissionGraceMs: number;
}

interface VersionListing {
  readonly current: string | null;
  readonly versions: readonly { readonly routeKey: string; readonly state: string; readonly instances: { readonly running: number; readonly pending: number } | null }[];
}

const statusPath = (id: string): string => `/runtime/webhooks/durabletask/instances/${id}`;
const approvalPath = (id: string): string => `${statusPath(id)}/raiseEvent/Approval`;
const bigOrder = (orderId: string, customer: string, sku: string, unitPrice: number) => ({ orderId, customer, items: [{ sku, quantity: 1, unitPrice }] });
const monitorSeconds = 20;

export async function runDemoStory(options: DemoStoryOptions): Promise<TrafficTally> {
  const { narrator: n, session } = options;
  const traffic = new ClientTraffic(session.url);
  try {
    await releaseFirstVersion(options);
    await startLongWork(options, traffic);
    await releaseBreakingVersion(options, traffic);
    await finishOnTheirOwnApps(options);
    await drainAndDecommission(options);
  } finally {
    await traffic.stop();
  }
  const tally = traffic.tally();
  n.chapter('What happened');
  const served = Object.entries(tally.servedBy).map(([version, count]) => `${count} by ${version}`).join(', ');
  const completed = Object.entries(tally.ordersCompletedBy).map(([version, count]) => `${count} on ${version}`).join(', ');
  n.say(`While versions came and went, the clients sent ${tally.requests} requests naming no version (${served}): ${tally.failed === 0 ? n.good('none failed') : n.warn(`${tally.failed} failed`)}. They placed ${tally.ordersStarted} orders; completed: ${completed || 'none'}.`);
  for (const failure of tally.failures) n.event(n.warn(failure));
  return tally;
}

async function releaseFirstVersion({ narrator: n, session, packages }: DemoStoryOptions): Promise<void> {
  n.chapter('Release 1.0.0');
  n.say('A release pipeline (or you) releases a version with its package. The CLI zips the app directory and uploads it, so the router may as well be on another machine. 1.0 is a new major.minor, so the control plane provisions a Function App for it (here: a process of the local host), gives it its own task hub and the shared tracking store, deploys the package, waits until the app answers, records it in the version map and makes it current.');
  await session.cli('release', '1.0.0', '--package', session.relative(packages.v1), '--wait');
  await session.cli('versions');
}

async function startLongWork({ narrator: n, session }: DemoStoryOptions, traffic: ClientTraffic): Promise<void> {
  n.chapter('Start work that takes a while, on 1.0');
  n.say('Clients call the router as they would call the Function App. Ada orders a piano: an order that large waits for a person\'s approval (an external event, racing a one-day durable timer).');
  await session.http('POST', '/api/orders', { json: bigOrder('ada-piano', 'Ada', 'piano', 2500), show: started });
  n.say('Its status URL points back at the router, not at the app: clients that follow it keep being routed. An inventory monitor checks the stock of tea, sleeps on a durable timer, and checks again:');
  await session.http('POST', '/api/monitors/inventory/tea', { json: { intervalSeconds: monitorSeconds, maxIterations: 2 }, show: started });
  await session.until('Ada\'s order to wait for its approval', 30_000, async () => stageOf(await session.call('GET', statusPath('ada-piano'))) === 'awaitingApproval');
  traffic.start();
  n.say('From now on, other clients keep calling the router without naming a version: a version check every 250 ms and a small order every second, each followed to its end. Every answer is counted.');
}

async function releaseBreakingVersion({ narrator: n, session, packages }: DemoStoryOptions, traffic: ClientTraffic): Promise<void> {
  n.chapter('Release 1.1.0, a breaking change, while requests keep flowing');
  n.say('1.1 changes the order workflow: every order is gift-wrapped before it ships, a new activity call in the middle of the orchestration. Durable orchestrations replay their history, so 1.0\'s in-flight orders, replayed by 1.1\'s code, would meet a step their history does not have, and fail. That is why 1.1 is a new major.minor: it gets its own app and task hub, and 1.0 keeps running for the orders it started. Both register the durable entity orderCounter, whose id is the same in every app: so that the two counters do not write one table row, 1.1 gets a tracking store of its own, which the router reads beside the shared one.');
  await session.cli('release', '1.1.0', '--package', session.relative(packages.v1dot1), '--wait');
  n.say('1.1 is current: requests that name no version now go to it. 1.0 is draining: it takes no new work, but every call about one of its instances still reaches its app. The drain monitor has counted what 1.0 still runs:');
  await session.cli('versions');
  const tally = traffic.tally();
  n.event(`the clients so far: ${tally.requests} requests, ${tally.failed === 0 ? n.good('0 failed') : n.warn(`${tally.failed} failed`)}; served by ${Object.entries(tally.servedBy).map(([version, count]) => `${version}: ${count}`).join(', ')}`);
  n.blank();
}

async function finishOnTheirOwnApps({ narrator: n, session }: DemoStoryOptions): Promise<void> {
  n.chapter('1.0\'s instances finish on 1.0\'s app; new ones start on 1.1\'s');
  n.say('Ada\'s order belongs to 1.0\'s task hub (its row in the shared tracking store says so), so a call about it goes to 1.0\'s app, whatever version is current:');
  await session.http('GET', statusPath('ada-piano'), { show: status });
  n.say('Grace orders a harp. Her order names no version, so it starts on 1.1. A client that insists on 1.0 for new work is told where to go instead:');
  await session.http('POST', '/api/orders', { json: bigOrder('grace-harp', 'Grace', 'harp', 3200), show: started });
  await session.http('POST', '/api/orders', { json: bigOrder('late-order', 'Bob', 'drum', 1500), headers: { 'x-app-version': '1.0' } });
  await session.cli('instances', '--status', 'Running,Pending');
  n.say('One query, answered from the tracking stores, lists the unfinished instances of every version. (Durable entities are instances too: @ordercounter@completed is the entity that counts completed orders, once in each version.) Both orders are approved. The approval is a call about one instance, so each goes to the app that owns it:');
  await session.until('Grace\'s order to wait for its approval', 30_000, async () => stageOf(await session.call('GET', statusPath('grace-harp'))) === 'awaitingApproval');
  await session.http('POST', approvalPath('ada-piano'), { json: { approved: true, by: 'Sam' }, show: briefly });
  await session.http('POST', approvalPath('grace-harp'), { json: { approved: true, by: 'Sam' }, show: briefly });
  for (const id of ['ada-piano', 'grace-harp']) {
    await session.until(`order ${id} to complete`, 30_000, async () => (await session.call('GET', statusPath(id))).body['runtimeStatus'] === 'Completed');
  }
  await session.http('GET', statusPath('ada-piano'), { show: outcome });
  await session.http('GET', statusPath('grace-harp'), { show: outcome });
  n.say('The same router, the same workflow name: Ada\'s order ran to its end with 1.0\'s code, Grace\'s went through 1.1\'s new gift-wrapping step.');
}

async function drainAndDecommission({ narrator: n, session, drainPollMs, decommissionGraceMs }: DemoStoryOptions): Promise<void> {
  n.chapter('1.0 drains, then goes');
  n.say(`1.0's drain monitor (an eternal orchestration of the control plane) counts 1.0's Pending, Running and Suspended instances in the shared tracking store every ${drainPollMs / 1000} s here (ROUTER_DRAIN_POLL_MS, 5 s by default). The inventory monitor still sleeps on its durable timer, so 1.0 stays draining until it wakes, checks again and ends. At zero, 1.0 is drained; ${decommissionGraceMs / 1000} s later (ROUTER_DECOMMISSION_GRACE_MS, 10 s by default) it is decommissioned and its app deleted.`);
  let seen = '';
  let monitorDone = false;
  await session.until('1.0 to be decommissioned', 90_000, async () => {
    const listing = await session.admin<VersionListing>('/admin/versions');
    const entry = listing.versions.find((version) => version.routeKey === '1.0');
    const counts = entry?.instances === null || entry?.instances === undefined ? '' : ` (${entry.instances.running} running, ${entry.instances.pending} pending)`;
    const now = `${entry?.state ?? 'gone'}${entry?.state === 'draining' ? counts : ''}`;
    if (now !== seen) n.event(`1.0 is ${now}`);
    seen = now;
    if (!monitorDone && (await session.call('GET', statusPath('inventory-tea'))).body['runtimeStatus'] === 'Completed') {
      monitorDone = true;
      n.event('the inventory monitor woke from its timer, checked again and completed, on 1.0');
    }
    return entry?.state === 'decommissioned';
  });
  n.blank();
  await session.cli('versions');
  n.say('1.0\'s app is gone, but its instances stay in the shared tracking store, where every version\'s instances can be queried in one place:');
  await session.cli('instances', '--version', '1.0');
}

function started(answer: HttpAnswer): string {
  const { id, statusQueryGetUri } = answer.body as { id?: string; statusQueryGetUri?: string };
  return [`HTTP ${answer.status}   x-routed-version: ${answer.routedVersion ?? '-'}`, `id: ${id}`, `statusQueryGetUri: ${statusQueryGetUri}`].join('\n');
}

function status(answer: HttpAnswer): string {
  const { runtimeStatus, customStatus } = answer.body as { runtimeStatus?: string; customStatus?: unknown };
  return [`HTTP ${answer.status}   x-routed-version: ${answer.routedVersion ?? '-'}`, `runtimeStatus: ${runtimeStatus}`, `customStatus: ${JSON.stringify(customStatus)}`].join('\n');
}

function outcome(answer: HttpAnswer): string {
  const { runtimeStatus, output } = answer.body as { runtimeStatus?: string; output?: unknown };
  return [`HTTP ${answer.status}   x-routed-version: ${answer.routedVersion ?? '-'}`, `runtimeStatus: ${runtimeStatus}`, `output: ${JSON.stringify(output, null, 2)}`].join('\n');
}

function briefly(answer: HttpAnswer): string {
  return `HTTP ${answer.status}   x-routed-version: ${answer.routedVersion ?? '-'}`;
}

function stageOf(answer: HttpAnswer): string | undefined {
  return (answer.body['customStatus'] as { stage?: string } | null | undefined)?.stage;
}
