import { constants } from 'node:os';

export interface StopOnSignalsOptions {
  /** The graceful stop: resolves once everything has stopped. */
  readonly stop: () => Promise<void>;
  /** Tells the operator what is happening (one sentence). */
  readonly notify: (message: string) => void;
  /** Reports a graceful stop that failed (the process then exits 1). */
  readonly onStopFailed: (error: unknown) => void;
}

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * `npm start` passes the terminal's Ctrl+C on to its script, which has it from the terminal
 * already: a signal this soon after the first is the same Ctrl+C, not a second one.
 */
const sameSignalWindowMs = 500;

/**
 * One way to stop for every signal: Ctrl+C in a terminal (SIGINT to the whole process group),
 * SIGINT or SIGTERM sent to this process alone, SIGHUP when the terminal goes. The first starts
 * the graceful stop and the process exits 0 once it is done (1 if it failed); another signal
 * exits at once (children stop on their own when this process's end of their stdin closes).
 */
export function stopOnSignals(options: StopOnSignalsOptions): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstAt !== undefined) {
      if (performance.now() - firstAt < sameSignalWindowMs) return;
      options.notify(`${signal} again: stopping at once.`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    firstAt = performance.now();
    options.notify(`${signal}: stopping (answering the requests in flight first); press Ctrl+C again to stop at once.`);
    options.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        options.onStopFailed(error);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}
