import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type Clock, type Logger, PiperError, type Random, silentLogger } from '../core/index.ts';
import type { DataPlaneEventData } from '../data-plane/index.ts';
import { RuntimeApiClient } from './runtime-api-client.ts';
import { haproxyErrors } from './haproxy-errors.ts';

export interface HaproxySupervisorOptions {
  /** The haproxy executable (`findHaproxy`). */
  binary: string;
  /** The haproxy.cfg to run (master-worker, as `renderHaproxyConfig` writes it). */
  configFile: string;
  /** Its `stats socket`: HAProxy is up once it answers `show info` there. */
  socketPath: string;
  /** Its `server-state-file`, removed before each start: weights from an earlier run must not come back. */
  stateFile?: string;
  clock: Clock;
  random: Random;
  logger?: Logger;
  /** `haproxy.started` (pid, restarts) and `haproxy.exited` (code, signal, last lines) for the journal. */
  onEvent?: (event: HaproxyProcessEvent) => void;
  /** Longest wait for the stats socket after a start, in ms (default 10 000). */
  startTimeoutMs?: number;
}

/** What the supervisor reports of the HAProxy process, for the journal. */
export type HaproxyProcessEvent =
  | { kind: 'haproxy.started'; data: DataPlaneEventData['haproxy.started'] }
  | { kind: 'haproxy.exited'; data: DataPlaneEventData['haproxy.exited'] };

/** Lines of HAProxy's own output kept for errors and events. */
const TAIL_LINES = 30;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** Up this long, a start counts as good: the next crash restarts at once again. */
const STABLE_MS = 10_000;

/**
 * HAProxy in master-worker mode as a child of `piper up`. When it exits on its own (its worker was
 * killed: HAProxy 2.6's master exits when its only worker dies), it is started again with
 * back-off (100 ms doubling to 5 s); the data plane then finds a new worker on the stats socket and
 * re-applies the current splits (HaproxyDataPlane). `close()` stops it gracefully.
 */
export class HaproxySupervisor {
  readonly #o: HaproxySupervisorOptions;
  readonly #log: Logger;
  readonly #tail: string[] = [];
  #child: ChildProcess | null = null;
  /** The child that came up: only its exit is a crash to restart after (a failed start is retried by its caller). */
  #ready: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #restarts = 0;
  #startedAt = 0;
  #closing = false;

  private constructor(o: HaproxySupervisorOptions) {
    this.#o = o;
    this.#log = (o.logger ?? silentLogger()).child({ part: 'haproxy-process' });
  }

  /** Starts HAProxy and waits until its stats socket answers; throws PIPER_HAPROXY_START_FAILED with its alerts if it does not. */
  static async start(o: HaproxySupervisorOptions): Promise<HaproxySupervisor> {
    const s = new HaproxySupervisor(o);
    await s.#start();
    return s;
  }

  /** The master's pid (null between a crash and the restart). */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Starts again after a crash so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /** HAProxy's last lines of output (alerts, warnings). */
  get tail(): readonly string[] {
    return this.#tail;
  }

  /** Soft-stops HAProxy (SIGUSR1: finish what is in flight), SIGTERM after `graceMs`, SIGKILL after twice that. Idempotent. */
  async close(graceMs = 5000): Promise<void> {
    this.#closing = true;
    const child = this.#child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGUSR1');
      const term = this.#o.clock.setTimeout(() => child.kill('SIGTERM'), graceMs);
      const kill = this.#o.clock.setTimeout(() => child.kill('SIGKILL'), graceMs * 2);
      await this.#exited;
      term.cancel();
      kill.cancel();
    }
    await this.#exited;
  }

  async #start(): Promise<void> {
    if (this.#o.stateFile !== undefined) await rm(this.#o.stateFile, { force: true });
    // Its own process group: a Ctrl-C meant for piper must not stop HAProxy under it; piper stops
    // it in close(), after the controller. If piper is killed outright HAProxy runs on, and the
    // dead-man guard inside it takes over (docs/adr/0002-haproxy-dead-man-guard.md).
    const child = spawn(this.#o.binary, ['-f', this.#o.configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#child = child;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.#exited = exited.then(() => undefined);
    child.once('error', (err) => this.#log.error({ err }, 'haproxy could not be started'));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => this.#line(line));
    }
    void exited.then((e) => this.#onExit(child, e));
    await this.#waitForSocket(child);
    this.#ready = child;
    this.#startedAt = this.#o.clock.now();
    this.#log.info({ pid: child.pid, restarts: this.#restarts }, 'haproxy started');
    this.#o.onEvent?.({ kind: 'haproxy.started', data: { pid: child.pid, restarts: this.#restarts, config: this.#o.configFile } });
  }

  async #waitForSocket(child: ChildProcess): Promise<void> {
    const client = new RuntimeApiClient({
      address: { path: this.#o.socketPath },
      clock: this.#o.clock,
      random: this.#o.random,
      attempts: 1,
      timeoutMs: 1000,
    });
    const deadline = this.#o.clock.now() + (this.#o.startTimeoutMs ?? 10_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw this.#startFailed(`it exited (${child.exitCode ?? child.signalCode})`);
      try {
        await client.showInfo();
        return;
      } catch {
        // Not up yet.
      }
      if (this.#o.clock.now() > deadline) {
        child.kill('SIGKILL');
        throw this.#startFailed('its stats socket never answered');
      }
      await this.#o.clock.sleep(50);
    }
  }

  #onExit(child: ChildProcess, e: { code: number | null; signal: string | null }): void {
    if (this.#child === child) this.#child = null;
    if (this.#ready !== child) return;
    this.#ready = null;
    if (this.#closing) {
      this.#log.info({ code: e.code, signal: e.signal }, 'haproxy stopped');
      return;
    }
    this.#log.error({ code: e.code, signal: e.signal, tail: this.#tail.slice(-5) }, 'haproxy exited; restarting it');
    this.#o.onEvent?.({ kind: 'haproxy.exited', data: { pid: child.pid, code: e.code, signal: e.signal, lines: this.#tail.slice(-5) } });
    void this.#restart();
  }

  async #restart(): Promise<void> {
    const stable = this.#o.clock.now() - this.#startedAt >= STABLE_MS;
    let backoff = FIRST_BACKOFF_MS;
    let first = stable;
    while (!this.#closing) {
      if (!first) await this.#o.clock.sleep(Math.round(backoff * (0.5 + this.#o.random.next() / 2)));
      first = false;
      if (this.#closing) return;
      this.#restarts++;
      try {
        await this.#start();
        return;
      } catch (err) {
        this.#log.error({ err }, 'restarting haproxy failed');
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  #line(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (line.includes('[ALERT]')) this.#log.error({ line }, 'haproxy');
    else if (line.includes('[WARNING]')) this.#log.warn({ line }, 'haproxy');
    else this.#log.debug({ line }, 'haproxy');
  }

  #startFailed(why: string): PiperError {
    const alerts = this.#tail.filter((l) => l.includes('[ALERT]')).map((l) => l.replace(/^\[ALERT\]\s+\(\d+\)\s+:\s*/, ''));
    return new PiperError(
      haproxyErrors.PIPER_HAPROXY_START_FAILED,
      `${this.#o.binary} -f ${this.#o.configFile} did not start: ${why}${alerts.length > 0 ? `:\n  ${alerts.join('\n  ')}` : ''}`,
      {
        details: { binary: this.#o.binary, configFile: this.#o.configFile, lines: [...this.#tail] },
      },
    );
  }
}
