// The processes of a soak run: several `piper serve` backends and one `piper up` in front of them,
// each a child of the runner with its output in a log file. A backend can be killed (SIGKILL, as a
// crash would) and started again on the same port and data directory, as a supervisor restarts a
// server; any other exit is a crash, which fails the run.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { PiperConfigInput } from '../../src/config/index.ts';

/** The piper CLI from source, run by this same Node. */
export const PIPER_BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

/** The pool and route every backend serves in. */
export const POOL = 'platform';

/** One running process of the topology. */
export interface SoakProcess {
  /** `piper-up`, `backend-1`, … (a restarted backend keeps its name and gets a new pid). */
  name: string;
  pid: number;
  /** Where its Prometheus text is served: the admin listener of `piper up`, the backend itself. */
  metricsUrl: string;
}

/** A process that ended without being told to: a crash. */
export interface UnexpectedExit {
  name: string;
  pid: number;
  code: number | null;
  signal: string | null;
  /** Milliseconds on the monotonic clock (performance.now()). */
  atMs: number;
}

interface Running {
  name: string;
  child: ChildProcess;
  urls: Record<string, string>;
  exited: Promise<void>;
  /** Set before a kill or a stop: the exit that follows is not a crash. */
  expected: boolean;
}

/** Options of {@link SoakTopology.start}. */
export interface TopologyOptions {
  /** Data directories of the backends, the config and the journal of `piper up`. */
  dir: string;
  /** One log file per process name (every incarnation of a backend appends to it). */
  logDir: string;
  backends: number;
  adminToken: string;
  onUnexpectedExit: (exit: UnexpectedExit) => void;
}

const START_TIMEOUT_MS = 30_000;

/** The backends and the balancer of one soak run. */
export class SoakTopology {
  readonly #dir: string;
  readonly #logDir: string;
  readonly #onUnexpectedExit: (exit: UnexpectedExit) => void;
  readonly #running = new Map<string, Running>();
  readonly #ports = new Map<string, number>();
  #backendNames: string[] = [];
  readonly #logs = new Map<string, WriteStream>();
  #publicUrl = '';
  #adminUrl = '';
  #closing = false;

  private constructor(dir: string, logDir: string, onUnexpectedExit: (exit: UnexpectedExit) => void) {
    this.#dir = dir;
    this.#logDir = logDir;
    this.#onUnexpectedExit = onUnexpectedExit;
  }

  /** Starts the backends on free ports, then `piper up` with a pool of them; resolves once all listen. */
  static async start(o: TopologyOptions): Promise<SoakTopology> {
    await mkdir(o.logDir, { recursive: true });
    const topology = new SoakTopology(o.dir, o.logDir, o.onUnexpectedExit);
    try {
      const names = Array.from({ length: o.backends }, (_, i) => `backend-${i + 1}`);
      topology.#backendNames = names;
      const backends = await Promise.all(names.map((name) => topology.#startBackend(name, 0)));
      const config: PiperConfigInput = {
        listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
        admin: { address: '127.0.0.1', port: 0, token: o.adminToken },
        dashboard: { enabled: false },
        logging: { level: 'warn' },
        storage: { path: join(o.dir, 'piper.db') },
        pools: {
          // Readiness, not liveness: a draining or read-only backend leaves the pool. Every other
          // setting is the default, which is what the soak is meant to hold up.
          [POOL]: { backends: backends.map((b) => ({ name: b.name, url: b.urls.platform as string })), healthCheck: { path: '/readyz' } },
        },
        routes: [{ name: 'web', split: { [POOL]: 1 } }],
      };
      const configFile = join(o.dir, 'piper.yaml');
      await writeFile(configFile, `# Written by bench/soak for one run.\n${stringify(config)}`);
      const up = await topology.#spawn('piper-up', ['up', '--config', configFile], ['public', 'admin']);
      topology.#publicUrl = up.urls.public as string;
      topology.#adminUrl = up.urls.admin as string;
      return topology;
    } catch (err) {
      await topology.close();
      throw err;
    }
  }

  /** The public listener of `piper up`. */
  get publicUrl(): string {
    return this.#publicUrl;
  }

  /** The admin listener of `piper up`. */
  get adminUrl(): string {
    return this.#adminUrl;
  }

  /** Backend names, in order; the first is never restarted. */
  get backendNames(): string[] {
    return [...this.#backendNames];
  }

  /** The URL of one backend (its port survives restarts). */
  backendUrl(name: string): string {
    return `http://127.0.0.1:${this.#ports.get(name)}`;
  }

  /** The processes running now. */
  processes(): SoakProcess[] {
    return [...this.#running.values()].map((r) => ({
      name: r.name,
      pid: r.child.pid as number,
      metricsUrl: `${r.name === 'piper-up' ? r.urls.admin : r.urls.platform}/metrics`,
    }));
  }

  /**
   * Kills a backend with SIGKILL and starts it again on the same port and data directory.
   * Resolves the pids and the monotonic times of the kill and of the new process listening.
   */
  async restart(name: string): Promise<{ killedPid: number; pid: number; killedAtMs: number; readyAtMs: number }> {
    const old = this.#running.get(name);
    if (old === undefined) throw new Error(`no running process named ${name}`);
    old.expected = true;
    const killedAtMs = performance.now();
    old.child.kill('SIGKILL');
    await old.exited;
    this.#running.delete(name);
    const port = this.#ports.get(name) as number;
    // The port is free once the process is gone; another process could take it in between (the
    // kernel hands out ephemeral ports to outgoing connections too), so a few attempts are made.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5 && !this.#closing; attempt++) {
      try {
        const started = await this.#startBackend(name, port);
        return { killedPid: old.child.pid as number, pid: started.child.pid as number, killedAtMs, readyAtMs: performance.now() };
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`${name} could not be started again on port ${port}: ${String(lastError)}`);
  }

  /**
   * Stops every process (SIGTERM, SIGKILL after 15 s: a server drains for up to 10 s) and closes
   * the log files. Resolves how each ended (`0`, another code, or the signal). Idempotent.
   */
  async close(): Promise<Record<string, string>> {
    this.#closing = true;
    const all = [...this.#running.values()];
    for (const r of all) {
      r.expected = true;
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const r of all) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    }, 15_000);
    await Promise.all(all.map((r) => r.exited));
    clearTimeout(timer);
    this.#running.clear();
    await Promise.all([...this.#logs.values()].map((s) => new Promise((r) => s.end(r))));
    this.#logs.clear();
    return Object.fromEntries(all.map((r) => [r.name, String(r.child.exitCode ?? r.child.signalCode)]));
  }

  async #startBackend(name: string, port: number): Promise<Running> {
    const args = ['serve', '--port', String(port), '--data-dir', join(this.#dir, name), '--log-level', 'warn'];
    const started = await this.#spawn(name, args, ['platform']);
    this.#ports.set(name, Number(new URL(started.urls.platform as string).port));
    return started;
  }

  /** Starts `piper ARGS`, logs its output, and resolves once it printed a `listening` line for each of `waitFor`. */
  #spawn(name: string, args: string[], waitFor: string[]): Promise<Running> {
    if (this.#closing) return Promise.reject(new Error('topology closed'));
    let log = this.#logs.get(name);
    if (log === undefined) {
      log = createWriteStream(join(this.#logDir, `${name}.log`), { flags: 'a' });
      this.#logs.set(name, log);
    }
    const out = log;
    const child = spawn(process.execPath, [PIPER_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    out.write(`--- pid ${child.pid}: piper ${args.join(' ')}\n`);
    const running: Running = {
      name,
      child,
      urls: {},
      expected: false,
      exited: new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          out.write(`--- pid ${child.pid} exited: code ${code}, signal ${signal}\n`);
          if (!running.expected && this.#running.get(name) === running) {
            this.#onUnexpectedExit({ name, pid: child.pid as number, code, signal, atMs: performance.now() });
          }
          resolve();
        }),
      ),
    };
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => out.write(`${line}\n`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        running.expected = true;
        child.kill('SIGKILL');
        reject(new Error(`${name} did not listen within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        out.write(`${line}\n`);
        const m = /^listening (\S+) (http:\/\/\S+)$/.exec(line);
        if (m === null) return;
        running.urls[m[1] as string] = m[2] as string;
        if (waitFor.every((w) => w in running.urls)) {
          clearTimeout(timer);
          this.#running.set(name, running);
          resolve(running);
        }
      });
      void running.exited.then(() => {
        clearTimeout(timer);
        reject(
          new Error(
            `${name} exited (code ${child.exitCode}, signal ${child.signalCode}) before it listened; see ${join(this.#logDir, `${name}.log`)}`,
          ),
        );
      });
    });
  }
}
