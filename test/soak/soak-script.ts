/**
 * What happens to the router while the clients use it: releases (patches, breaking versions, a
 * rollback, a broken package, a forced decommission) and faults (kill -9 of an app host, of the
 * control plane in the middle of a release and of the front door; a storage stall; a hung app).
 * Operator calls are retried as an operator would while the front door or the store is down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { soakKeys, type SoakStack } from './soak-stack.js';

export type SoakStep =
  | { readonly kind: 'release'; readonly version: string; readonly variant?: 'good' | 'broken'; readonly promote?: boolean; readonly expect: 'succeeded' | 'failed'; readonly killControlPlaneAt?: string }
  | { readonly kind: 'make-current'; readonly routeKey: string }
  | { readonly kind: 'force-decommission'; readonly routeKey: string }
  | { readonly kind: 'kill-app'; readonly routeKey: string }
  | { readonly kind: 'kill-front-door' }
  | { readonly kind: 'stall-storage'; readonly ms: number }
  | { readonly kind: 'hang-app'; readonly routeKey: string; readonly ms: number }
  | { readonly kind: 'pause'; readonly ms: number };

export interface ScriptTally {
  readonly releases: { version: string; state: string; expected: string; ms: number }[];
  readonly faults: string[];
  readonly surprises: string[];
}

const operatorRetryFor = 180_000;

export class SoakScript {
  readonly tally: ScriptTally = { releases: [], faults: [], surprises: [] };
  readonly #stack: SoakStack;
  readonly #say: (line: string) => void;

  constructor(stack: SoakStack, say: (line: string) => void) {
    this.#stack = stack;
    this.#say = say;
  }

  async run(steps: readonly SoakStep[]): Promise<void> {
    for (const step of steps) await this.#step(step);
  }

  async #step(step: SoakStep): Promise<void> {
    switch (step.kind) {
      case 'release': return this.#release(step);
      case 'make-current': {
        const answer = await this.#admin('POST', `/admin/versions/${step.routeKey}/current`);
        this.#expect(answer.status === 200, `make ${step.routeKey} current answered ${answer.status} ${JSON.stringify(answer.body)}`);
        this.#say(`rollback: ${step.routeKey} is current`);
        return;
      }
      case 'force-decommission': {
        const answer = await this.#admin('DELETE', `/admin/versions/${step.routeKey}?force=true`);
        this.#expect(answer.status === 200 || answer.status === 202, `forced decommission of ${step.routeKey} answered ${answer.status} ${JSON.stringify(answer.body)}`);
        this.#say(`forced decommission of ${step.routeKey}`);
        return;
      }
      case 'kill-app': {
        const pids = await this.#stack.appProcesses(await this.#appOf(step.routeKey));
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        this.#fault(`kill -9 of ${step.routeKey}'s app host (${pids.length} process${pids.length === 1 ? '' : 'es'})`);
        return;
      }
      case 'kill-front-door':
        await this.#stack.killFrontDoor();
        this.#fault('kill -9 of the front door');
        await sleep(1_000);
        await this.#stack.restartFrontDoor();
        return;
      case 'stall-storage':
        this.#stack.stallStorage();
        this.#fault(`storage stalled for ${step.ms / 1000} s`);
        await sleep(step.ms);
        await this.#stack.resumeStorage();
        return;
      case 'hang-app': {
        const pids = await this.#stack.appProcesses(await this.#appOf(step.routeKey));
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        this.#fault(`${step.routeKey}'s app hung for ${step.ms / 1000} s`);
        await sleep(step.ms);
        for (const pid of pids) process.kill(pid, 'SIGCONT');
        return;
      }
      case 'pause':
        await sleep(step.ms);
    }
  }

  async #release(step: Extract<SoakStep, { kind: 'release' }>): Promise<void> {
    const startedAt = Date.now();
    const body = { version: step.version, package: await this.#stack.stage(step.version, step.variant ?? 'good'), ...(step.promote === undefined ? {} : { promote: step.promote }) };
    const started = await this.#admin('POST', '/admin/releases', body);
    if (started.status !== 202) {
      this.#expect(false, `release ${step.version} was refused: ${started.status} ${JSON.stringify(started.body)}`);
      this.tally.releases.push({ version: step.version, state: `refused ${started.status}`, expected: step.expect, ms: Date.now() - startedAt });
      return;
    }
    const id = String(started.body['id']);
    let killed = step.killControlPlaneAt === undefined;
    let state = 'running';
    const deadline = Date.now() + operatorRetryFor;
    while (Date.now() < deadline) {
      const answer = await this.#admin('GET', `/admin/releases/${id}`);
      if (answer.status === 200) {
        state = String(answer.body['state']);
        if (state === 'succeeded' || state === 'failed') break;
        if (!killed && answer.body['step'] === step.killControlPlaneAt) {
          killed = true;
          await this.#stack.killControlPlane();
          this.#fault(`kill -9 of the control plane while release ${step.version} was ${step.killControlPlaneAt}`);
          await this.#stack.restartControlPlane();
        }
      }
      await sleep(100);
    }
    const ms = Date.now() - startedAt;
    this.tally.releases.push({ version: step.version, state, expected: step.expect, ms });
    this.#expect(state === step.expect, `release ${step.version} ended ${state}, expected ${step.expect}`);
    this.#say(`release ${step.version}${step.variant === 'broken' ? ' (broken package)' : ''}: ${state} in ${(ms / 1000).toFixed(1)} s`);
  }

  async #appOf(routeKey: string): Promise<string> {
    const answer = await this.#admin('GET', '/admin/versions');
    const versions = (answer.body['versions'] ?? []) as { routeKey: string; app: { name: string } }[];
    const entry = versions.find((version) => version.routeKey === routeKey);
    if (entry === undefined) throw new Error(`no version ${routeKey} in ${JSON.stringify(answer.body)}`);
    return entry.app.name;
  }

  /** An operator's call, sent again while the router cannot answer (the front door restarting, the store stalled). */
  async #admin(method: 'GET' | 'POST' | 'DELETE', pathAndQuery: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const deadline = Date.now() + operatorRetryFor;
    for (;;) {
      try {
        const response = await request(new URL(pathAndQuery, this.#stack.frontDoorUrl), {
          method,
          headers: { authorization: `Bearer ${soakKeys.admin}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        });
        const text = await response.body.text();
        const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        if (response.statusCode < 500 || Date.now() > deadline) return { status: response.statusCode, body };
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await sleep(500);
    }
  }

  #fault(what: string): void {
    this.tally.faults.push(what);
    this.#say(`fault: ${what}`);
  }

  #expect(ok: boolean, surprise: string): void {
    if (ok) return;
    this.tally.surprises.push(surprise);
    this.#say(`unexpected: ${surprise}`);
  }
}

/** The full soak's course: twelve releases and every fault the issue names. */
export const fullSoak: readonly SoakStep[] = [
  { kind: 'pause', ms: 10_000 },
  { kind: 'release', version: '1.0.1', expect: 'succeeded' },
  { kind: 'release', version: '1.1.0', expect: 'succeeded' },
  { kind: 'pause', ms: 5_000 },
  { kind: 'kill-app', routeKey: '1.1' },
  { kind: 'pause', ms: 10_000 },
  { kind: 'release', version: '1.1.1', expect: 'succeeded' },
  { kind: 'release', version: '1.2.0', expect: 'succeeded', killControlPlaneAt: 'deploying' },
  { kind: 'pause', ms: 5_000 },
  { kind: 'make-current', routeKey: '1.1' },
  { kind: 'kill-front-door' },
  { kind: 'release', version: '1.1.2', expect: 'succeeded' },
  { kind: 'make-current', routeKey: '1.2' },
  { kind: 'release', version: '1.3.0', variant: 'broken', expect: 'failed' },
  { kind: 'stall-storage', ms: 20_000 },
  { kind: 'pause', ms: 5_000 },
  { kind: 'release', version: '1.3.0', expect: 'succeeded' },
  { kind: 'release', version: '1.3.1', expect: 'succeeded' },
  { kind: 'hang-app', routeKey: '1.3', ms: 15_000 },
  { kind: 'release', version: '1.3.2', expect: 'succeeded' },
  { kind: 'release', version: '1.4.0', expect: 'succeeded' },
  // A version no client uses: forcing it out loses nothing (a newer major.minor would be a downgrade after it).
  { kind: 'release', version: '2.0.0', promote: false, expect: 'succeeded' },
  { kind: 'force-decommission', routeKey: '2.0' },
  { kind: 'pause', ms: 10_000 },
];

/** The short course (`--short`, and `npm test`): every kind of step once, in about a minute. */
export const shortSoak: readonly SoakStep[] = [
  { kind: 'pause', ms: 3_000 },
  { kind: 'release', version: '1.0.1', expect: 'succeeded' },
  { kind: 'release', version: '1.1.0', expect: 'succeeded', killControlPlaneAt: 'deploying' },
  { kind: 'kill-app', routeKey: '1.1' },
  { kind: 'kill-front-door' },
  { kind: 'make-current', routeKey: '1.0' },
  { kind: 'release', version: '1.1.1', expect: 'succeeded' },
  { kind: 'make-current', routeKey: '1.1' },
  { kind: 'release', version: '1.2.0', variant: 'broken', expect: 'failed' },
  { kind: 'stall-storage', ms: 5_000 },
  { kind: 'hang-app', routeKey: '1.1', ms: 5_000 },
  { kind: 'pause', ms: 3_000 },
];
