// The child processes of one balancer benchmark: started pinned to a CPU, awaited until they print
// their listening line, and all stopped on exit, error or Ctrl-C (a benchmark leaves nothing behind).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The piper CLI from source, run by this same Node. */
export const PIPER_BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

/** A started child: its pid and the first match of its ready pattern on stdout. */
export interface Started {
  child: ChildProcess;
  pid: number;
  match: RegExpExecArray;
}

/** Resident memory of a process now (VmRSS of /proc/PID/status), in KiB; NaN once it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Every process a benchmark spawned; `close()` stops those still running (SIGTERM, then SIGKILL). */
export class ProcessGroup {
  readonly #children = new Set<ChildProcess>();
  #closed = false;

  constructor() {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        void this.close().then(() => process.exit(130));
      });
    }
  }

  /** Starts `cmd args` on `cpu` (taskset; the pid is the command's own) and waits for `ready` on stdout (at most 20 s). */
  async start(cmd: string, args: string[], cpu: string, ready: RegExp): Promise<Started> {
    if (this.#closed) throw new Error('process group closed');
    const child = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 4000) err += d;
    });
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')}: not ready after 20 s\n${err}`)), 20_000);
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = ready.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err}`));
      });
    });
    return { child, pid: child.pid as number, match };
  }

  /** Runs `cmd args` on `cpu` to its end and returns its stdout; rejects on a non-zero exit other than `okCodes`. */
  run(cmd: string, args: string[], cpu: string, okCodes: number[] = [0]): Promise<string> {
    if (this.#closed) return Promise.reject(new Error('process group closed'));
    const child = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 4000) err += d;
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        this.#children.delete(child);
        if (code !== null && okCodes.includes(code)) resolve(out);
        else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err}`));
      });
    });
  }

  /** Stops one child (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops every child still running. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#children].map((c) => this.stop(c)));
  }
}
