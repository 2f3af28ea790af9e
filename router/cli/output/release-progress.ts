/** How `release` shows a release as it goes: a live bar on a terminal, a line per step elsewhere. Pure but for the writer. */
import type { ReleaseView } from '../release/release-follower.js';

const stepPhrases: Readonly<Record<string, string>> = {
  queued: 'waiting for the control plane to pick it up',
  validating: 'checking the version against the version map',
  provisioning: 'creating a Function App for this major.minor',
  configuring: 'giving it its own task hub and the shared tracking store',
  deploying: 'deploying the package',
  'waiting-for-health': 'waiting until the app answers with its functions registered',
  'isolating-entities': 'giving it a tracking store of its own: another version registers the same durable entities',
  'raising-version': 'raising the app\'s orchestration version: new instances get this release\'s version',
  recording: 'recording it in the version map',
  promoting: 'making it the current version',
  'starting-drain': 'draining the versions it supersedes',
  'rolling-back': 'undoing what the failed release changed',
  done: 'done',
};

export function describeStep(step: string): string {
  return stepPhrases[step] ?? step;
}

/** `[██████░░░░░░░░░░░░░░]  30%  deploying`; width counts the bar's cells. */
export function progressBar(view: Pick<ReleaseView, 'progress' | 'step'>, width = 20): string {
  const percent = Math.min(100, Math.max(0, Math.round(view.progress)));
  const filled = Math.round((percent / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${view.step}`;
}

/** `   1.2 s   40%  deploying: deploying the package` */
export function stepLine(view: Pick<ReleaseView, 'progress' | 'step'>, elapsedMs: number): string {
  const phrase = describeStep(view.step);
  return `${seconds(elapsedMs).padStart(8)}  ${String(Math.round(view.progress)).padStart(3)}%  ${view.step}${phrase === view.step ? '' : `: ${phrase}`}`;
}

export interface VersionsAfterRelease {
  readonly current: string | null;
  readonly versions: readonly { readonly routeKey: string; readonly state: string; readonly versions?: readonly string[] }[];
}

export function releaseSucceeded(view: ReleaseView, elapsedMs: number, after: VersionsAfterRelease | undefined): string[] {
  const what = view.kind === 'patch'
    ? `a patch, deployed onto the ${view.routeKey ?? ''} app${view.app ? ` (${view.app})` : ''}`
    : `a new app${view.app ? ` ${view.app}` : ''} for ${view.routeKey ?? 'its major.minor'}`;
  const lines = [`released ${view.version} in ${seconds(elapsedMs)}: ${what}`];
  if (after !== undefined) {
    const inState = (state: string): string => {
      const keys = after.versions.filter((entry) => entry.state === state).map((entry) => entry.routeKey);
      return keys.length === 0 ? '' : `; ${state}: ${keys.join(', ')}`;
    };
    lines.push(`current version: ${after.current ?? 'none'}${inState('draining')}${inState('drained')}`);
  }
  return lines;
}

/** The lines under `error CODE: message` that say where it failed and what was undone. */
export function releaseFailureDetails(view: ReleaseView): string[] {
  return [
    `  release ${view.id} of ${view.version} failed${view.failedStep === undefined ? '' : ` while ${view.failedStep}`}`,
    ...(view.cleanup ?? []).map((line) => `  cleanup: ${line}`),
  ];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface ProgressWriter {
  write(text: string): unknown;
}

/**
 * On a terminal the bar is redrawn in place (`\r`, clear line); elsewhere (CI logs, pipes) a line is
 * written each time the step changes, so the log reads as a timeline.
 */
export class ReleaseProgressPrinter {
  readonly #out: ProgressWriter;
  readonly #live: boolean;
  #lastStep: string | undefined;
  #barShown = false;

  constructor(out: ProgressWriter, live: boolean) {
    this.#out = out;
    this.#live = live;
  }

  update(view: ReleaseView, elapsedMs: number): void {
    // A failed release's last status says "done, 100%": the error says it better.
    if (view.state === 'failed') return;
    if (this.#live) {
      this.#out.write(`\r\x1b[2K${progressBar(view)}  ${seconds(elapsedMs)}`);
      this.#barShown = true;
      return;
    }
    if (view.step === this.#lastStep) return;
    this.#lastStep = view.step;
    this.#out.write(`${stepLine(view, elapsedMs)}\n`);
  }

  /** Ends the bar's line, so that what follows starts on a fresh one. */
  finish(): void {
    if (this.#barShown) this.#out.write('\n');
    this.#barShown = false;
  }
}
