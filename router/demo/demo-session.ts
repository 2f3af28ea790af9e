/**
 * What the demo does on the user's behalf, each shown as the user would type it: `durable-router`
 * commands (the real binary, its output live on this terminal) and HTTP calls (shown as curl).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { RouterError } from '../../shared/errors/router-error.js';
import type { Narrator } from './narrator.js';

export interface HttpAnswer {
  readonly status: number;
  readonly routedVersion: string | undefined;
  readonly body: Record<string, unknown>;
}

export interface DemoSessionOptions {
  readonly narrator: Narrator;
  readonly url: string;
  readonly adminKey: string;
  /** What clients present to the durable HTTP API (ROUTER_DURABLE_KEY). */
  readonly durableKey: string;
  /** The compiled CLI entry (dist/router/cli/main.js). */
  readonly cli: string;
  /** Where commands run, so that relative paths shown read as the user would type them. */
  readonly cwd: string;
}

export class DemoSession {
  readonly #options: DemoSessionOptions;

  constructor(options: DemoSessionOptions) {
    this.#options = options;
  }

  get url(): string {
    return this.#options.url;
  }

  /** `npx durable-router <args>`: runs the real CLI with ROUTER_URL and ROUTER_ADMIN_KEY set, as exported earlier. */
  async cli(...args: string[]): Promise<void> {
    const { narrator, cli, cwd, url, adminKey } = this.#options;
    narrator.command(`npx durable-router ${args.map(quoteForShell).join(' ')}`);
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ROUTER_URL: url, ROUTER_ADMIN_KEY: adminKey } });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    narrator.blank();
    if (code !== 0) throw new RouterError('INTERNAL', `durable-router ${args.join(' ')} exited with ${code}; the demo stops here.`);
  }

  /** An HTTP call through the front door, shown as curl, with what came back. */
  async http(method: 'GET' | 'POST', pathAndQuery: string, options: { json?: unknown; headers?: Record<string, string>; show?: (answer: HttpAnswer) => string } = {}): Promise<HttpAnswer> {
    const { narrator } = this.#options;
    const headers = {
      ...options.headers,
      ...(isDurableApi(pathAndQuery) ? { 'x-functions-key': '$ROUTER_DURABLE_KEY' } : {}),
      ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
    };
    narrator.command(curlFor(method, pathAndQuery, headers, options.json));
    const answer = await this.call(method, pathAndQuery, options.json, options.headers);
    narrator.result(options.show?.(answer) ?? describeAnswer(answer));
    return answer;
  }

  /** The same call, not shown (the demo watching things happen). */
  async call(method: 'GET' | 'POST', pathAndQuery: string, json?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const response = await request(new URL(pathAndQuery, this.#options.url), {
      method,
      headers: {
        ...headers,
        ...(isDurableApi(pathAndQuery) && !/[?&]code=/.test(pathAndQuery) ? { 'x-functions-key': this.#options.durableKey } : {}),
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const text = await response.body.text();
    const routed = response.headers['x-routed-version'];
    return { status: response.statusCode, routedVersion: typeof routed === 'string' ? routed : undefined, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  async admin<T>(pathAndQuery: string): Promise<T> {
    const answer = await this.call('GET', pathAndQuery, undefined, { authorization: `Bearer ${this.#options.adminKey}` });
    if (answer.status !== 200) throw new RouterError('INTERNAL', `GET ${pathAndQuery} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as T;
  }

  /** Waits for something the story needs before it goes on; the demo stops if it never comes. */
  async until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
      if (performance.now() > deadline) throw new RouterError('INTERNAL', `Waited ${timeoutMs / 1000} s for ${what}; the demo stops here.`);
      await sleep(200);
    }
  }

  relative(file: string): string {
    return path.relative(this.#options.cwd, file) || '.';
  }
}

function isDurableApi(pathAndQuery: string): boolean {
  return pathAndQuery.startsWith('/runtime/webhooks/durabletask/');
}

function describeAnswer(answer: HttpAnswer): string {
  const lines = [`HTTP ${answer.status}${answer.routedVersion === undefined ? '' : `   x-routed-version: ${answer.routedVersion}`}`];
  lines.push(...JSON.stringify(answer.body, null, 2).split('\n'));
  return lines.join('\n');
}

function curlFor(method: string, pathAndQuery: string, headers: Record<string, string>, json: unknown): string {
  const parts = ['curl -s'];
  if (method !== 'GET') parts.push(`-X ${method}`);
  parts.push(`"$ROUTER_URL${pathAndQuery}"`);
  // A value naming a variable is quoted for the shell to expand it.
  for (const [name, value] of Object.entries(headers)) parts.push(value.startsWith('$') ? `-H "${name}: ${value}"` : `-H '${name}: ${value}'`);
  if (json !== undefined) parts.push(`-d '${JSON.stringify(json)}'`);
  return parts.join(' ');
}

function quoteForShell(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
