import type { Clock } from '../core/index.ts';

export interface NarratorStyle {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/**
 * Tells the afternoon as the seed's timeline does: one timestamped line per fact. Every line is
 * kept, so the run's story can be written to a file and compared with the journal.
 */
export class Narrator {
  readonly lines: string[] = [];
  readonly #out: NodeJS.WritableStream;
  readonly #clock: Clock;
  readonly #style: NarratorStyle;
  readonly #start: number;

  constructor(out: NodeJS.WritableStream, clock: Clock, style: NarratorStyle) {
    this.#out = out;
    this.#clock = clock;
    this.#style = style;
    this.#start = clock.now();
  }

  /** Seconds since the demo started. */
  elapsed(): number {
    return (this.#clock.now() - this.#start) / 1000;
  }

  act(n: number, title: string): void {
    this.#write(`\n${this.#style.bold(`Act ${n}: ${title}`)}`);
  }

  say(text: string): void {
    this.#write(`${this.#stamp()} ${text}`);
  }

  good(text: string): void {
    this.say(this.#style.green(text));
  }

  bad(text: string): void {
    this.say(this.#style.red(text));
  }

  warn(text: string): void {
    this.say(this.#style.yellow(text));
  }

  /** A line that is not a timeline fact (tables, blank lines). */
  raw(text: string): void {
    this.#write(text);
  }

  #stamp(): string {
    const t = new Date(this.#clock.now());
    const hh = String(t.getHours()).padStart(2, '0');
    const mm = String(t.getMinutes()).padStart(2, '0');
    const ss = String(t.getSeconds()).padStart(2, '0');
    return this.#style.dim(`${hh}:${mm}:${ss} +${this.elapsed().toFixed(1).padStart(5)}s`);
  }

  #write(line: string): void {
    this.lines.push(line);
    this.#out.write(`${line}\n`);
  }
}
