/**
 * The soak's clients: each one runs journeys of the soak app through the front door, one after
 * the other, as a careful client would: its own instance ids (so a start can be retried without
 * starting twice), a retry with back-off (after `Retry-After`) of what may be retried, a look at
 * the instance before it repeats a start or an event whose answer it never got. What the router
 * answered along the way is counted; a request that still failed after the retries is a failure
 * the client could not have avoided.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { soakKeys } from './soak-stack.js';

export type JourneyKind = 'plain' | 'event' | 'timer';

export interface JourneyOutcome {
  readonly id: string;
  readonly kind: JourneyKind;
  readonly state: 'completed' | 'failed' | 'lost' | 'not-started';
  /** The full versions the orchestration said started and finished it. */
  readonly startedOn?: string;
  readonly finishedOn?: string;
  readonly received?: readonly number[];
  readonly detail?: string;
}

export interface ClientTally {
  requests: number;
  /** First answers that were not what the client wanted, by kind (e.g. "503 STORE_UNAVAILABLE", "ECONNREFUSED"). */
  readonly answers: Map<string, number>;
  /** Requests given up after every retry: failures the client could not have avoided. */
  readonly unavoidable: Map<string, number>;
  readonly journeys: JourneyOutcome[];
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
}

const retryFor = 120_000;
const finishWithin = 240_000;
const terminal = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export class SoakClients {
  readonly tally: ClientTally = { requests: 0, answers: new Map(), unavoidable: new Map(), journeys: [] };
  readonly #frontDoorUrl: string;
  #stopping = false;
  #next = 0;
  /** The major.minor that served its last start: a client that names versions names that one. */
  #lastRouted: string | undefined;
  #workers: Promise<void>[] = [];

  constructor(frontDoorUrl: string) {
    this.#frontDoorUrl = frontDoorUrl;
  }

  start(clients: number, maxJourneys: number): void {
    this.#workers = Array.from({ length: clients }, () => this.#work(maxJourneys));
  }

  /** No new journeys; resolves once every journey under way has ended. */
  async finish(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers);
  }

  get startedJourneys(): number {
    return this.#next;
  }

  async #work(maxJourneys: number): Promise<void> {
    while (!this.#stopping && this.#next < maxJourneys) {
      const n = ++this.#next;
      const kind: JourneyKind = n % 5 === 0 ? 'timer' : n % 5 < 3 ? 'event' : 'plain';
      this.tally.journeys.push(await this.#journey(`soak-${n}`, kind, n % 2 === 0));
    }
  }

  async #journey(id: string, kind: JourneyKind, namesVersion: boolean): Promise<JourneyOutcome> {
    const events = kind === 'event' ? 2 : 0;
    const ballast = Number(id.split('-').at(-1)) % 7 === 0 ? ballastOf(id) : undefined;
    const started = await this.#start(id, { kind, events, timerMs: 1_500, ...(ballast === undefined ? {} : { ballast }) }, namesVersion);
    if (!started) return { id, kind, state: 'not-started' };
    for (let event = 1; event <= events; event++) {
      const raised = await this.#raise(id, event);
      if (raised === 'ended') break;
      if (!raised) return { id, kind, state: 'failed', detail: `event ${event} could not be raised` };
    }
    const deadline = Date.now() + finishWithin;
    while (Date.now() < deadline) {
      const status = await this.#status(id);
      if (status === 'missing') return { id, kind, state: 'lost', detail: 'the router no longer knows the instance' };
      if (status !== undefined && terminal.has(String(status['runtimeStatus']))) {
        const output = (status['output'] ?? {}) as { startedOn?: string; finishedOn?: string; received?: number[]; ballastLength?: number };
        if (status['runtimeStatus'] === 'Completed' && ballast !== undefined && output.ballastLength !== ballast.length) {
          return { id, kind, state: 'failed', detail: `its ${ballast.length}-character input came back with ${String(output.ballastLength)} characters` };
        }
        return {
          id, kind, state: status['runtimeStatus'] === 'Completed' ? 'completed' : 'failed',
          ...(output.startedOn === undefined ? {} : { startedOn: output.startedOn }),
          ...(output.finishedOn === undefined ? {} : { finishedOn: output.finishedOn }),
          ...(output.received === undefined ? {} : { received: output.received }),
          ...(status['runtimeStatus'] === 'Completed' ? {} : { detail: JSON.stringify(status['output']).slice(0, 300) }),
        };
      }
      await sleep(300);
    }
    return { id, kind, state: 'lost', detail: `not finished within ${finishWithin / 1000} s` };
  }

  /** Starts the journey; a start whose answer was lost is looked up before it is sent again. */
  async #start(id: string, input: Record<string, unknown>, namesVersion: boolean): Promise<boolean> {
    let header = namesVersion ? this.#lastRouted : undefined;
    const deadline = Date.now() + retryFor;
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#send('PUT', `/api/journeys/${id}`, input, header === undefined ? {} : { 'x-app-version': header });
      if (answer.status === 202) {
        this.#noteRouted(answer);
        return true;
      }
      if (answer.status === 410 && header !== undefined) {
        // The version it named is draining: a client that names versions moves on to the current one.
        header = undefined;
        continue;
      }
      // An earlier attempt whose answer was lost may have started it (a second start then fails in the app):
      // look until the router can say whether it exists.
      if (attempt > 0 || answer.status !== 503) {
        let status = await this.#status(id);
        while (status === undefined && !mayRetry(answer) && Date.now() < deadline) {
          await sleep(500);
          status = await this.#status(id);
        }
        if (status !== undefined && status !== 'missing') return true;
        // Confirmed not started (the app failed it, e.g. killed under it): starting it again is safe with its own id.
        if (status === 'missing' && answer.status === 500 && Date.now() < deadline) {
          await sleep(retryDelay(answer, attempt));
          continue;
        }
      }
      if (!mayRetry(answer) || Date.now() > deadline) return this.#giveUp('start', answer, false);
      await sleep(retryDelay(answer, attempt));
    }
  }

  /**
   * Raises event `n` once the journey waits for it; one whose answer was lost is looked for before
   * it is raised again. 'ended': the instance finished before it (its output says what it received).
   */
  async #raise(id: string, n: number): Promise<boolean | 'ended'> {
    const deadline = Date.now() + retryFor;
    while (!(await this.#waitsFor(id, n - 1))) {
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#send('POST', `/runtime/webhooks/durabletask/instances/${id}/raiseEvent/Go`, n, {});
      if (answer.status === 202) return true;
      if (answer.status === 410) return 'ended';
      if (!mayRetry(answer) || Date.now() > deadline) return this.#giveUp('raise event', answer, false);
      // An answer lost after the router passed the event on: wait a little for it to show before sending it again.
      for (const until = Date.now() + 5_000; Date.now() < until;) {
        if (await this.#waitsFor(id, n)) return true;
        await sleep(250);
      }
      await sleep(retryDelay(answer, attempt));
    }
  }

  async #waitsFor(id: string, received: number): Promise<boolean> {
    const status = await this.#status(id);
    if (status === undefined || status === 'missing') return false;
    const custom = status['customStatus'] as { received?: unknown[] } | null | undefined;
    return (custom?.received?.length ?? -1) >= received || terminal.has(String(status['runtimeStatus']));
  }

  /** The instance's status, 'missing' on 404, undefined when the router could not say (retried later by the caller). */
  async #status(id: string): Promise<Record<string, unknown> | 'missing' | undefined> {
    const answer = await this.#send('GET', `/runtime/webhooks/durabletask/instances/${id}`, undefined, {});
    if (answer.status === 200 || answer.status === 202) return answer.body;
    if (answer.status === 404) return 'missing';
    return undefined;
  }

  #noteRouted(answer: Answer): void {
    const routed = answer.headers['x-routed-version'];
    if (typeof routed === 'string') this.#lastRouted = routed.split('.').slice(0, 2).join('.');
  }

  #giveUp(what: string, answer: Answer, result: false): false {
    const kind = `${what}: ${describe(answer)}`;
    this.tally.unavoidable.set(kind, (this.tally.unavoidable.get(kind) ?? 0) + 1);
    return result;
  }

  async #send(method: 'GET' | 'PUT' | 'POST', pathAndQuery: string, json: unknown, headers: Record<string, string>): Promise<Answer> {
    this.tally.requests += 1;
    const durable = pathAndQuery.startsWith('/runtime/');
    let answer: Answer;
    try {
      const response = await request(new URL(pathAndQuery, this.#frontDoorUrl), {
        method,
        headers: { ...headers, 'x-functions-key': durable ? soakKeys.durable : soakKeys.function, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        headersTimeout: 90_000,
        bodyTimeout: 90_000,
      });
      const text = await response.body.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = { text: text.slice(0, 200) };
      }
      answer = { status: response.statusCode, body, headers: response.headers };
    } catch (error) {
      answer = { status: 0, body: { error: { code: (error as { code?: string }).code ?? (error as Error).message } }, headers: {} };
    }
    if (answer.status >= 400 || answer.status === 0) {
      const kind = describe(answer);
      if (!(answer.status === 404 && method === 'GET')) this.tally.answers.set(kind, (this.tally.answers.get(kind) ?? 0) + 1);
    }
    return answer;
  }
}

function describe(answer: Answer): string {
  const code = (answer.body['error'] as { code?: unknown } | undefined)?.code;
  return answer.status === 0 ? String(code ?? 'network error') : `${answer.status}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** What a client may send again: nothing arrived (network errors), or the router says so (502, 503, 504, 429). */
function mayRetry(answer: Answer): boolean {
  return answer.status === 0 || answer.status === 429 || answer.status === 502 || answer.status === 503 || answer.status === 504;
}

function retryDelay(answer: Answer, attempt: number): number {
  const after = Number(answer.headers['retry-after']);
  return Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : Math.min(250 * 2 ** attempt, 5_000);
}

/** About 180 KB as Table storage counts (UTF-16): over its 64 KiB a value, so it goes through a blob. */
function ballastOf(id: string): string {
  return `${id}:`.padEnd(90_000, 'abcdefghij');
}
