/**
 * The demo's voice: numbered chapters, narration wrapped to the terminal, the commands a user
 * would type (shown as `$ ...`), and what came back. Colour only on a terminal, and never with NO_COLOR.
 */
import type { Writable } from 'node:stream';

const styles = { bold: '\x1b[1m', dim: '\x1b[2m', cyan: '\x1b[36m', green: '\x1b[32m', yellow: '\x1b[33m', reset: '\x1b[0m' } as const;
type Style = Exclude<keyof typeof styles, 'reset'>;

export class Narrator {
  readonly #out: Writable & { isTTY?: boolean; columns?: number };
  readonly #colour: boolean;
  readonly #startedAt = performance.now();
  #chapter = 0;

  constructor(out: Writable & { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env) {
    this.#out = out;
    this.#colour = out.isTTY === true && env['NO_COLOR'] === undefined;
  }

  chapter(title: string): void {
    this.#chapter += 1;
    this.#write(`\n${this.#style('bold', `${this.#chapter}. ${title}`)}  ${this.#style('dim', `(${this.#clock()})`)}\n\n`);
  }

  /** A paragraph of explanation: what happens and why. */
  say(text: string): void {
    this.#write(`${wrap(text, this.#width(), '   ')}\n\n`);
  }

  /** A command as the user would type it. */
  command(text: string): void {
    this.#write(`${this.#style('cyan', `   $ ${text}`)}\n`);
  }

  /** What came back, indented under its command. */
  result(text: string): void {
    const lines = text.replace(/\n+$/, '').split('\n');
    this.#write(`${lines.map((line) => `     ${line}`).join('\n')}\n\n`);
  }

  /** A moment worth noticing, with the time since the demo started. */
  event(text: string): void {
    this.#write(`   ${this.#style('dim', this.#clock().padStart(6))}  ${text}\n`);
  }

  good(text: string): string {
    return this.#style('green', text);
  }

  warn(text: string): string {
    return this.#style('yellow', text);
  }

  blank(): void {
    this.#write('\n');
  }

  #clock(): string {
    return `${Math.round((performance.now() - this.#startedAt) / 1000)} s`;
  }

  #width(): number {
    // A terminal that reports no useful width (a pty with 0 columns) gets the usual 100.
    const columns = this.#out.columns ?? 0;
    return columns >= 40 ? Math.min(columns, 100) : 100;
  }

  #style(style: Style, text: string): string {
    return this.#colour ? `${styles[style]}${text}${styles.reset}` : text;
  }

  #write(text: string): void {
    this.#out.write(text);
  }
}

/** Wraps text at word boundaries to `width` columns, each line indented. */
export function wrap(text: string, width: number, indent: string): string {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((part) => part !== '')) {
      if (line !== '' && line.length + 1 + word.length > room) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines.map((line) => `${indent}${line}`).join('\n');
}
