/**
 * Runs scheduled activities (and `callHttp` requests) with bounded concurrency and hands each
 * result to its instance's inbox. Results are not written anywhere here: the instance's next
 * checkpoint records them, and until then the history still says the work is scheduled, so a
 * host that dies in between runs it again after restart (activities run at least once).
 */
import type { Logger } from 'pino';
import type { FunctionInvoker } from '../../host-contracts.js';
import type { HistoryEvent } from '../history/history-event.js';
import type { DurableHttpRequest } from '../orchestration/orchestrator-turn.js';
import { parseJsonValue } from '../orchestration/orchestrator-payload.js';
import { taskCompleted, taskFailed } from '../orchestration/task-results.js';

export interface ActivityWork {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
  readonly name: string;
  /** JSON text of the input. */
  readonly input?: string;
  readonly http?: DurableHttpRequest;
}

export type ResultSink = (instanceId: string, executionId: string, event: HistoryEvent) => void;

const httpTimeoutMs = 240_000;

export class ActivityRunner {
  private queue: ActivityWork[] = [];
  private queueHead = 0;
  private readonly known = new Set<string>();
  private active = 0;
  private stopped = false;
  /** Held: queued work waits (a handover lets running work finish but starts none). */
  private held = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly maxConcurrent: number,
    private readonly invoker: FunctionInvoker,
    private readonly deliver: ResultSink,
    private readonly logger: Logger,
    /** Asked before each activity starts: false once this host may no longer work the task hub. */
    private readonly mayRun: () => boolean = () => true,
  ) {}

  /** Queues the work unless the same scheduled task is already queued or running. */
  enqueue(work: ActivityWork): void {
    const key = workKey(work);
    if (this.stopped || this.known.has(key)) return;
    this.known.add(key);
    this.queue.push(work);
    this.pump();
  }

  /** Starts no more work; what runs finishes and delivers its result. */
  hold(): void {
    this.held = true;
  }

  get running(): number {
    return this.inFlight.size;
  }

  /** Stops starting work; waits up to `graceMs` for running work (whose results are then dropped). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.queue = [];
    this.queueHead = 0;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); }),
    ]);
    clearTimeout(timer);
  }

  private pump(): void {
    while (!this.stopped && !this.held && this.active < this.maxConcurrent && this.queueHead < this.queue.length) {
      const work = this.queue[this.queueHead++] as ActivityWork;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      this.active++;
      const run = this.execute(work).finally(() => {
        this.active--;
        this.known.delete(workKey(work));
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async execute(work: ActivityWork): Promise<void> {
    if (!this.mayRun()) return;
    let event: HistoryEvent;
    try {
      const value = work.http !== undefined
        ? await callHttp(work.http)
        : await this.invoker.invokeDurable(work.name, parseJsonValue(work.input));
      event = taskCompleted(work.taskId, value, new Date().toISOString());
    } catch (error) {
      this.logger.debug({ err: error, instanceId: work.instanceId, activity: work.name }, 'Activity failed');
      event = taskFailed(work.name, work.taskId, error, new Date().toISOString());
    }
    if (!this.stopped) this.deliver(work.instanceId, work.executionId, event);
  }
}

function workKey(work: ActivityWork): string {
  return `${work.instanceId}\n${work.executionId}\n${work.taskId}`;
}

/** The built-in HTTP activity: one request, answered as a DurableHttpResponse. */
async function callHttp(request: DurableHttpRequest): Promise<{ statusCode: number; headers: Record<string, string>; content: string }> {
  if (request.hasTokenSource) {
    throw new Error('callHttp with a managed identity token source is not supported by the local host: no identity endpoint is available.');
  }
  const response = await fetch(request.uri, {
    method: request.method,
    headers: request.headers ?? {},
    ...(request.content === undefined || request.method === 'GET' || request.method === 'HEAD' ? {} : { body: request.content }),
    signal: AbortSignal.timeout(httpTimeoutMs),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  return { statusCode: response.status, headers, content: await response.text() };
}
