import { type Clock, type Logger, silentLogger } from '../core/index.ts';
import { emptyRequestOutcome, type RequestOutcome, type WindowAggregator } from '../telemetry/index.ts';
import { emptyLogLine, type LogLine, parseLogLine } from './log-line-parser.ts';
import { parseServerName } from './haproxy-names.ts';
import { errorKindOf } from './termination-state.ts';

/** What became of the lines that reached (or should have reached) piper. */
export interface LogLineCounts {
  /** Datagrams handed to the ingestor. */
  received: number;
  /** Request lines folded into the windows. */
  folded: number;
  /** Datagrams without the `piper2` marker: HAProxy's own messages (a server going down), or anything else sent to the port. */
  foreign: number;
  /** Lines that end before their end mark: cut by HAProxy's `len` or on the way. */
  truncated: number;
  /** Lines with the marker whose fields are not what the format puts there. */
  unparsable: number;
  /** Parsed lines refused: a server name not `<pool>--<backend>`, or past the limit of distinct names. */
  unknown: number;
  /** Lines received beyond the per-window budget (a flood), counted and not parsed. */
  dropped: number;
  /** Lines that never arrived, as HAProxy (`DroppedLogs`) and the kernel (the socket's drops) count them. */
  lost: number;
  /** Folded lines whose request ended more than a window before they arrived (folded into the open window all the same). */
  late: number;
}

/** One window's {@link LogLineCounts}, and whether the window holds every request line. */
export interface LogLineWindowCounts extends LogLineCounts {
  /** False when any request line was cut, unparsable, refused, dropped or lost: the window's counts are a lower bound. */
  complete: boolean;
}

export interface LogIngestorOptions {
  /** The windows to fold into (the same aggregator type the Node balancer records into). */
  aggregator: WindowAggregator;
  clock: Clock;
  /**
   * The pool a request that reached no server (`<NOSRV>`) counts against: the route's largest
   * pool, as the Node balancer does. Null or absent: the empty pool name.
   */
  poolOf?: (route: string) => string | null;
  /** Lines parsed per window at most; the rest are counted as dropped (default 250 000). */
  maxLinesPerWindow?: number;
  /** Distinct routes and distinct server names kept at most (default 10 000 each); lines naming more are refused. */
  maxNames?: number;
  logger?: Logger;
}

const WINDOW_COUNTS_KEPT = 300;
const NO_SERVER = '<NOSRV>';

function zeroCounts(): LogLineCounts {
  return { received: 0, folded: 0, foreign: 0, truncated: 0, unparsable: 0, unknown: 0, dropped: 0, lost: 0, late: 0 };
}

/**
 * Parses HAProxy's per-request lines ({@link LOG_FORMAT}) and folds each into the
 * aggregator's open window as the Node balancer's outcome for the same request would be:
 * route = backend, pool and backend from the server name, piper's error kind from the
 * termination state, latency = %Ta − %TR (from the request head received to the last byte
 * sent, the balancer's definition). Every datagram is counted under one outcome, per window and
 * in total: nothing is dropped unseen.
 */
export class LogIngestor {
  readonly #aggregator: WindowAggregator;
  readonly #clock: Clock;
  readonly #poolOf: (route: string) => string | null;
  readonly #maxLines: number;
  readonly #maxNames: number;
  readonly #log: Logger;
  readonly #line: LogLine = emptyLogLine();
  readonly #outcome: RequestOutcome = emptyRequestOutcome();
  /** Server name → pool and backend (null: not piper's naming). */
  readonly #servers = new Map<string, { pool: string; backend: string } | null>();
  readonly #routes = new Set<string>();
  readonly #total: LogLineCounts = zeroCounts();
  #window: LogLineCounts = zeroCounts();
  readonly #byWindow = new Map<number, LogLineWindowCounts>();
  readonly #unsubscribe: () => void;
  #floodWarned = false;

  constructor(options: LogIngestorOptions) {
    this.#aggregator = options.aggregator;
    this.#clock = options.clock;
    this.#poolOf = options.poolOf ?? (() => null);
    this.#maxLines = options.maxLinesPerWindow ?? 250_000;
    this.#maxNames = options.maxNames ?? 10_000;
    this.#log = options.logger ?? silentLogger();
    // Listeners run as the window closes, before its subscribers see it: the counts of a window
    // are in place when a reader asks for them.
    this.#unsubscribe = this.#aggregator.onWindow((w) => this.#closeWindow(w.start));
  }

  /** Parses and folds one datagram (one syslog message). The hot path: no allocation for a known route and server. */
  ingest(datagram: Buffer): void {
    const w = this.#window;
    w.received++;
    if (w.received > this.#maxLines) {
      w.dropped++;
      if (!this.#floodWarned) {
        this.#floodWarned = true;
        this.#log.warn({ maxLinesPerWindow: this.#maxLines }, 'log lines beyond the window budget are dropped');
      }
      return;
    }
    const line = this.#line;
    const result = parseLogLine(datagram, line);
    if (result !== 'ok') {
      w[result]++;
      return;
    }
    const o = this.#outcome;
    if (line.frontend === line.backend) {
      // Refused before any backend was chosen (a bad request, a deny): no route, as the balancer records it.
      o.route = '';
      o.pool = '';
      o.backend = null;
    } else {
      if (!this.#knownRoute(line.backend)) {
        w.unknown++;
        return;
      }
      o.route = line.backend;
      if (line.server === NO_SERVER) {
        o.pool = this.#poolOf(line.backend) ?? '';
        o.backend = null;
      } else {
        const names = this.#resolve(line.server);
        if (names === null) {
          w.unknown++;
          return;
        }
        o.pool = names.pool;
        o.backend = names.backend;
      }
    }
    const t = line.termination;
    const kind = errorKindOf(t.charCodeAt(0), t.charCodeAt(1), line.server === NO_SERVER);
    o.errorKind = kind;
    // The balancer records status 0 when the client went away first.
    o.status = kind === 'client_abort' || line.status < 0 ? 0 : line.status;
    o.latencyMs = line.activeMs - Math.max(0, line.requestMs);
    o.bytesIn = line.bytesIn;
    o.bytesOut = line.bytesOut;
    o.retries = line.retries;
    // By address even on a route with a sticky cookie: the log line does not carry the key.
    o.user = line.clientId;
    o.userBy = line.clientId === 0 ? null : 'address';
    this.#aggregator.record(o);
    w.folded++;
    if (this.#clock.now() - line.endMs > this.#aggregator.windowMs) w.late++;
  }

  /** Counts lines that never arrived (from HAProxy's and the kernel's drop counters) in the open window. */
  noteLost(lines: number): void {
    if (lines > 0) this.#window.lost += lines;
  }

  /** Totals since start, the open window included. */
  counts(): LogLineCounts {
    const out = { ...this.#total };
    for (const k of Object.keys(out) as Array<keyof LogLineCounts>) out[k] += this.#window[k];
    return out;
  }

  /** The counts of the closed window that started at `start`, while among the last 300. */
  windowCounts(start: number): LogLineWindowCounts | undefined {
    return this.#byWindow.get(start);
  }

  /** Stops following the aggregator's windows. Idempotent. */
  close(): void {
    this.#unsubscribe();
  }

  #closeWindow(start: number): void {
    const w = this.#window;
    for (const k of Object.keys(w) as Array<keyof LogLineCounts>) this.#total[k] += w[k];
    const missing = w.truncated + w.unparsable + w.unknown + w.dropped + w.lost;
    this.#byWindow.set(start, Object.freeze({ ...w, complete: missing === 0 }));
    if (this.#byWindow.size > WINDOW_COUNTS_KEPT) {
      const oldest = this.#byWindow.keys().next().value as number;
      this.#byWindow.delete(oldest);
    }
    if (missing > 0) this.#log.warn({ window: start, ...w }, 'telemetry window is missing request lines');
    this.#window = zeroCounts();
    this.#floodWarned = false;
  }

  #knownRoute(route: string): boolean {
    if (this.#routes.has(route)) return true;
    if (this.#routes.size >= this.#maxNames) return false;
    this.#routes.add(route);
    return true;
  }

  #resolve(server: string): { pool: string; backend: string } | null {
    let names = this.#servers.get(server);
    if (names === undefined) {
      if (this.#servers.size >= this.#maxNames) return null;
      names = parseServerName(server);
      this.#servers.set(server, names);
    }
    return names;
  }
}
