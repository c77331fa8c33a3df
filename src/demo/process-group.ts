import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PiperError } from '../core/index.ts';
import { demoErrors } from './demo-errors.ts';

export interface StartedProcess {
  name: string;
  child: ChildProcess;
  /** Listener URLs by name, from the `listening <name> <url>` lines the process printed. */
  urls: Record<string, string>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

export interface StartOptions {
  name: string;
  args: readonly string[];
  /** Listener names to wait for before the start resolves. */
  waitFor: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives every other line the process prints (stderr included), for a log file. */
  onLine?: (name: string, line: string) => void;
  startTimeoutMs?: number;
}

// The CLI entry beside this module: bin.ts when running from src/, bin.js from the built dist/.
const bin = new URL(`../cli/bin.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).pathname;

/**
 * The `piper` child processes of a demo run. Every process started here is stopped by `close()`
 * (SIGTERM, then SIGKILL after a grace period), so a run never leaves a process behind.
 */
export class ProcessGroup {
  #started: StartedProcess[] = [];
  #closing = false;

  get processes(): readonly StartedProcess[] {
    return this.#started;
  }

  /** Starts `piper ARGS` with the same Node, and waits until it prints its listening lines. */
  start(options: StartOptions): Promise<StartedProcess> {
    const child = spawn(process.execPath, [bin, ...options.args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const started: StartedProcess = { name: options.name, child, urls: {}, exited };
    this.#started.push(started);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PiperError(demoErrors.PIPER_DEMO_START_TIMEOUT, `${options.name} did not start listening in time`));
      }, options.startTimeoutMs ?? 20_000);
      const check = (): void => {
        if (options.waitFor.every((n) => n in started.urls)) {
          clearTimeout(timer);
          resolve(started);
        }
      };
      const onLine = (line: string): void => {
        const m = /^listening (\S+) (https?:\/\/\S+)$/.exec(line);
        if (m !== null) {
          started.urls[m[1] as string] = m[2] as string;
          check();
        } else {
          options.onLine?.(options.name, line);
        }
      };
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => options.onLine?.(options.name, l));
      void exited.then((code) => {
        clearTimeout(timer);
        if (!options.waitFor.every((n) => n in started.urls)) {
          reject(new PiperError(demoErrors.PIPER_DEMO_PROCESS_EXITED, `${options.name} exited (${code}) before it was listening`));
        }
      });
      check();
    });
  }

  /** Sends SIGKILL to one process, as a crash would. */
  kill(name: string): void {
    this.#started.find((p) => p.name === name)?.child.kill('SIGKILL');
  }

  /**
   * Stops every process: SIGTERM, then SIGKILL after `graceMs` (longer than a server's 10 s drain).
   * Idempotent. Returns exit codes by name.
   */
  async close(graceMs = 15_000): Promise<Record<string, number | string>> {
    if (!this.#closing) {
      this.#closing = true;
      for (const p of this.#started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const p of this.#started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }, graceMs);
    const codes = await Promise.all(this.#started.map(async (p) => [p.name, await p.exited] as const));
    clearTimeout(timer);
    return Object.fromEntries(codes);
  }
}
