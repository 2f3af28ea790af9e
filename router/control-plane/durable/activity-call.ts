/**
 * Orchestrator-side helpers: deterministic, no I/O. An activity's expected failure (an Outcome
 * with ok: false) becomes a StepFailure the orchestrator can catch and clean up after.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { ErrorBody, Outcome } from './outcome.js';

export class StepFailure extends Error {
  readonly error: ErrorBody;

  constructor(error: ErrorBody) {
    super(error.message);
    this.name = 'StepFailure';
    this.error = error;
  }
}

/** Transient failures (storage unreachable, a process restarting) get a few more tries. */
function retryPolicy(): df.RetryOptions {
  const policy = new df.RetryOptions(1_000, 4);
  policy.backoffCoefficient = 2;
  return policy;
}

export function* callActivity<T>(context: OrchestrationContext, name: string, input: unknown): Generator<Task, T, unknown> {
  let outcome: Outcome<T>;
  try {
    outcome = (yield context.df.callActivityWithRetry(name, retryPolicy(), input)) as Outcome<T>;
  } catch (error) {
    throw new StepFailure({ code: 'INTERNAL', message: `The step "${name}" kept failing: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (!outcome.ok) throw new StepFailure(outcome.error);
  return outcome.value;
}

/** Runs an operation's steps and returns its Outcome, so that the caller reads a code, not a stack. */
export function* asOutcome<T>(steps: Generator<Task, T, unknown>): Generator<Task, Outcome<T>, unknown> {
  try {
    return { ok: true, value: yield* steps };
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, error: error.error };
    throw error;
  }
}
