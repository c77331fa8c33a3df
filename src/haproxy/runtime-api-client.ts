import { type Clock, isPiperError, type Logger, PiperError, type Random, silentLogger } from '../core/index.ts';
import { type ServerAdminState, sessionLine, setStateCommand, setWeightCommand, showServersStateCommand } from './runtime-api-command.ts';
import { commandFailed, parseInfo, splitAnswer } from './runtime-api-output.ts';
import { describeAddress, type RuntimeApiAddress, runSession } from './runtime-api-session.ts';
import { parseServersState, type ServerState } from './servers-state.ts';
import { parseStatCsv, parseStatTyped, type StatRow } from './stat-table.ts';
import { haproxyErrors } from './haproxy-errors.ts';

export interface RuntimeApiClientOptions {
  address: RuntimeApiAddress;
  clock: Clock;
  /** Jitter of the back-off between attempts. */
  random: Random;
  logger?: Logger;
  /** One session, connect to close, in ms (default 2000). */
  timeoutMs?: number;
  /** Sessions tried per call when the socket fails in a way a retry may cure (default 4). */
  attempts?: number;
  /** First back-off, doubled after each failed attempt, in ms (default 100). */
  backoffMs?: number;
  /** Largest back-off, in ms (default 2000). */
  maxBackoffMs?: number;
  /** Largest answer accepted, in bytes (default 16 MiB). */
  maxResponseBytes?: number;
}

/** A change to one server: its weight, its administrative state, or both. */
export interface ServerChange {
  weight?: number;
  state?: ServerAdminState;
}

/** What HAProxy reported after a change, read back in the same session: every server of the backend. */
export interface AppliedServers {
  backend: string;
  servers: Readonly<Record<string, ServerState>>;
}

/**
 * A client of HAProxy's Runtime API over the stats socket (management guide §9.3). Each call is
 * one non-interactive session: its commands joined by ';', the answer read to HAProxy's close.
 * A socket that refuses, breaks off or times out is retried with exponential back-off and full
 * jitter (bounded by `attempts`); an answer that is not the Runtime API's is never retried.
 * Changes are reported applied only when `show servers state`, in the same session, shows them.
 */
export class RuntimeApiClient {
  readonly address: RuntimeApiAddress;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxBytes: number;

  constructor(options: RuntimeApiClientOptions) {
    this.address = options.address;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#log = options.logger ?? silentLogger();
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#backoffMs = options.backoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.#maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Runs `commands` in one session and returns each one's output lines. Commands must come from
   * this module's builders or be written by piper itself: a newline or ';' in one is refused.
   */
  async execute(commands: readonly string[]): Promise<string[][]> {
    const line = sessionLine(commands);
    for (let attempt = 1; ; attempt++) {
      try {
        const text = await runSession(this.address, line, { clock: this.#clock, timeoutMs: this.#timeoutMs, maxBytes: this.#maxBytes });
        return splitAnswer(text, commands);
      } catch (err) {
        if (!isPiperError(err) || !err.retryable || attempt >= this.#attempts) throw this.#final(err, attempt);
        // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): clients that
        // lost HAProxy together do not come back in step.
        const ceiling = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
        const delay = Math.round(this.#random.next() * ceiling);
        this.#log.warn({ err, attempt, delayMs: delay, address: describeAddress(this.address) }, 'stats socket failed; retrying');
        await this.#clock.sleep(delay);
      }
    }
  }

  /** `show servers state [backend]`. */
  async showServersState(backend?: string): Promise<ServerState[]> {
    const [block] = await this.execute([showServersStateCommand(backend)]);
    return parseServersState(block as string[]);
  }

  /** `show stat` (CSV), every frontend, backend, server and listener. */
  async showStat(): Promise<StatRow[]> {
    const [block] = await this.execute(['show stat']);
    return parseStatCsv(block as string[]);
  }

  /** `show stat typed`: the same rows from the typed format. */
  async showStatTyped(): Promise<StatRow[]> {
    const [block] = await this.execute(['show stat typed']);
    return parseStatTyped(block as string[]);
  }

  /** `show info`: process-wide figures by name (`Version`, `CumReq`, `DroppedLogs`, ...). */
  async showInfo(): Promise<Readonly<Record<string, string>>> {
    const [block] = await this.execute(['show info']);
    return parseInfo(block as string[]);
  }

  /** `show info` and `show stat` in one session, so both describe the same moment. */
  async showInfoAndStat(): Promise<{ info: Readonly<Record<string, string>>; stat: StatRow[] }> {
    const [info, stat] = await this.execute(['show info', 'show stat']);
    return { info: parseInfo(info as string[]), stat: parseStatCsv(stat as string[]) };
  }

  /**
   * Sets weights and states of servers of one backend in one session, reads the backend back in
   * that same session, and returns what HAProxy reports. Throws PIPER_HAPROXY_COMMAND_FAILED
   * when HAProxy refused a command, PIPER_HAPROXY_NOT_APPLIED when the read-back differs from
   * what was asked; in both cases `details.reported` holds the read-back.
   */
  async applyServers(backend: string, changes: Readonly<Record<string, ServerChange>>): Promise<AppliedServers> {
    const commands: string[] = [];
    for (const [server, change] of Object.entries(changes)) {
      if (change.weight !== undefined) commands.push(setWeightCommand(backend, server, change.weight));
      if (change.state !== undefined) commands.push(setStateCommand(backend, server, change.state));
    }
    commands.push(showServersStateCommand(backend));
    const blocks = await this.execute(commands);
    const servers: Record<string, ServerState> = {};
    for (const s of parseServersState(blocks[blocks.length - 1] as string[])) servers[s.server] = s;
    const reported = Object.freeze(servers);
    // A `set` prints nothing when it worked; anything it prints is HAProxy's refusal.
    for (let i = 0; i < commands.length - 1; i++) {
      const out = blocks[i] as string[];
      if (out.length > 0) {
        const err = commandFailed(commands[i] as string, out.join(' '));
        throw new PiperError(haproxyErrors.PIPER_HAPROXY_COMMAND_FAILED, err.message, {
          details: { ...err.details, reported: summary(reported) },
        });
      }
    }
    const differences: Array<Record<string, unknown>> = [];
    for (const [server, change] of Object.entries(changes)) {
      const s = reported[server];
      if (s === undefined) differences.push({ server, asked: change, reported: null });
      else if ((change.weight !== undefined && s.weight !== change.weight) || (change.state !== undefined && s.admin !== change.state)) {
        differences.push({ server, asked: change, reported: { weight: s.weight, state: s.admin } });
      }
    }
    if (differences.length > 0) {
      throw new PiperError(
        haproxyErrors.PIPER_HAPROXY_NOT_APPLIED,
        `HAProxy reports ${differences.length} server(s) of ${backend} not as asked`,
        {
          details: { backend, differences, reported: summary(reported) },
        },
      );
    }
    return { backend, servers: reported };
  }

  /** {@link applyServers} with weights only: all set in one session, then read back. */
  applyWeights(backend: string, weights: Readonly<Record<string, number>>): Promise<AppliedServers> {
    const changes: Record<string, ServerChange> = {};
    for (const [server, weight] of Object.entries(weights)) changes[server] = { weight };
    return this.applyServers(backend, changes);
  }

  /** {@link applyServers} with states only (`ready`, `drain`, `maint`). */
  applyStates(backend: string, states: Readonly<Record<string, ServerAdminState>>): Promise<AppliedServers> {
    const changes: Record<string, ServerChange> = {};
    for (const [server, state] of Object.entries(states)) changes[server] = { state };
    return this.applyServers(backend, changes);
  }

  #final(err: unknown, attempts: number): unknown {
    if (!isPiperError(err) || !err.retryable || attempts === 1) return err;
    return new PiperError(err.code, `${err.message} (${attempts} attempts)`, {
      source: err.source,
      retryable: true,
      cause: err,
      details: { ...err.details, attempts },
    });
  }
}

function summary(servers: Readonly<Record<string, ServerState>>): Record<string, { weight: number; state: ServerAdminState }> {
  const out: Record<string, { weight: number; state: ServerAdminState }> = {};
  for (const [name, s] of Object.entries(servers)) out[name] = { weight: s.weight, state: s.admin };
  return out;
}
