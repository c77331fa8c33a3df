import type { Clock } from '../core/index.ts';
import { DURATION_BUCKETS_SECONDS } from './histogram.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { ErrorKind, FlowWindowStats, RequestOutcome, WindowStats, WindowUsers } from './telemetry-window.ts';
import { type UserKeyKind, UserSet } from './user-set.ts';

const KINDS: readonly ErrorKind[] = ['connect', 'timeout', 'reset', 'shed', 'no_backend', 'client_abort', 'protocol'];
const KIND_INDEX: Readonly<Record<ErrorKind, number>> = Object.freeze({
  connect: 0,
  timeout: 1,
  reset: 2,
  shed: 3,
  no_backend: 4,
  client_abort: 5,
  protocol: 6,
});
/** By kind index: 1 for kinds that are failures from the client's view whatever the status (client_abort is not). */
const FAILURE_KIND = Uint8Array.from(KINDS, (k) => (k === 'client_abort' ? 0 : 1));
/** Kinds that mean the pool could not be reached at all (the rollout's connection-failure guard). */
const CONNECT_KINDS: readonly number[] = [KIND_INDEX.connect, KIND_INDEX.reset, KIND_INDEX.no_backend];
const USER_KEY_KINDS: readonly UserKeyKind[] = ['cookie', 'header', 'address'];
const USER_KEY_BIT: Readonly<Record<UserKeyKind, number>> = Object.freeze({ cookie: 1, header: 2, address: 4 });

/** A route's users in the open window: everyone with a request, and who of them received a failure. */
interface UserTally {
  all: UserSet;
  failed: UserSet;
  /** USER_KEY_BIT of every kind of key seen. */
  by: number;
}

let emptyLatency: LatencyHistogram | undefined;
const BOUNDS_MS: readonly number[] = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);

/**
 * The running counts of one entity (route, pool, backend or flow) in the open window. Reused
 * window after window: `add` allocates nothing, and `reset` keeps the histogram's arrays.
 */
export class WindowAccumulator {
  requests = 0;
  failed = 0;
  readonly status = new Float64Array(5);
  readonly errors = new Float64Array(KINDS.length);
  shed = 0;
  /** Refused by this pool's admission and answered by another pool (pools only, see PoolWindowStats). */
  spilled = 0;
  retries = 0;
  savedByRetry = 0;
  ejections = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** `clock.now()` of the window's first failed outcome, or null (only with a clock). */
  firstFailureAt: number | null = null;
  /** Windows in a row with no traffic and no mention by the probe (to forget entities that left). */
  idleWindows = 0;
  readonly latency: LatencyHistogram | null;
  readonly #clock: Clock | null;
  readonly #users: UserTally | null;

  /**
   * `clock`: stamps the first failure of each window (read once per window, on that failure).
   * `withUsers`: tells distinct users apart (routes: two fixed sets of 32 kB each).
   */
  constructor(withLatency: boolean, clock: Clock | null = null, withUsers = false) {
    this.latency = withLatency ? new LatencyHistogram() : null;
    this.#clock = clock;
    this.#users = withUsers ? { all: new UserSet(), failed: new UserSet(), by: 0 } : null;
  }

  /** Connect errors, resets and no-backend refusals so far (the judge's "connection failures"). */
  get connectFailures(): number {
    let n = 0;
    for (const i of CONNECT_KINDS) n += this.errors[i] as number;
    return n;
  }

  get active(): boolean {
    return this.requests > 0 || this.ejections > 0 || this.spilled > 0;
  }

  add(o: RequestOutcome): void {
    this.requests++;
    const cls = (o.status / 100) | 0;
    if (cls >= 1 && cls <= 5) this.status[cls - 1] = (this.status[cls - 1] as number) + 1;
    const kind = o.errorKind;
    let failed = o.status >= 500;
    if (kind !== null) {
      const i = KIND_INDEX[kind];
      this.errors[i] = (this.errors[i] as number) + 1;
      if (kind === 'shed') this.shed++;
      if (FAILURE_KIND[i] === 1) failed = true;
    }
    if (failed) {
      this.failed++;
      if (this.firstFailureAt === null && this.#clock !== null) this.firstFailureAt = this.#clock.now();
    } else if (o.retries > 0) {
      this.savedByRetry++;
    }
    const users = this.#users;
    if (users !== null && o.user !== undefined && o.user !== 0) {
      users.all.add(o.user);
      if (failed) users.failed.add(o.user);
      if (o.userBy != null) users.by |= USER_KEY_BIT[o.userBy];
    }
    this.retries += o.retries;
    this.bytesIn += o.bytesIn;
    this.bytesOut += o.bytesOut;
    this.latency?.record(o.latencyMs);
  }

  /** The window's stats of a route, pool or backend; pass the probe's in-flight count. */
  stats(inFlight: number): WindowStats {
    emptyLatency ??= new LatencyHistogram();
    const latency = this.latency ?? emptyLatency;
    return {
      requests: this.requests,
      failed: this.failed,
      status: this.#status(),
      errors: this.#errors(),
      shed: this.shed,
      retries: this.retries,
      savedByRetry: this.savedByRetry,
      ejections: this.ejections,
      inFlight,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      latency: latency.summary(),
      histogram: latency.encode(),
      latencyBuckets: Object.freeze(latency.countsAtOrBelow(BOUNDS_MS)),
      firstFailureAt: this.firstFailureAt,
      ...(this.#users === null || this.#users.all.size === 0 ? {} : { users: usersOf(this.#users) }),
    };
  }

  flowStats(route: string, pool: string, backend: string | null): FlowWindowStats {
    return {
      route,
      pool,
      backend,
      requests: this.requests,
      failed: this.failed,
      status: this.#status(),
      errors: this.#errors(),
      retries: this.retries,
    };
  }

  reset(): void {
    this.requests = 0;
    this.failed = 0;
    this.firstFailureAt = null;
    this.status.fill(0);
    this.errors.fill(0);
    this.shed = 0;
    this.spilled = 0;
    this.retries = 0;
    this.savedByRetry = 0;
    this.ejections = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    if (this.latency !== null && this.latency.count > 0) this.latency.reset();
    if (this.#users !== null) {
      this.#users.all.reset();
      this.#users.failed.reset();
      this.#users.by = 0;
    }
  }

  #status(): WindowStats['status'] {
    const s = this.status;
    return { '1xx': s[0] as number, '2xx': s[1] as number, '3xx': s[2] as number, '4xx': s[3] as number, '5xx': s[4] as number };
  }

  #errors(): Partial<Record<ErrorKind, number>> {
    const out: Partial<Record<ErrorKind, number>> = {};
    for (let i = 0; i < KINDS.length; i++) {
      const n = this.errors[i] as number;
      if (n > 0) out[KINDS[i] as ErrorKind] = n;
    }
    return out;
  }
}

function usersOf(t: UserTally): WindowUsers {
  return Object.freeze({
    count: t.all.size,
    failed: t.failed.size,
    ids: t.all.encode(),
    failedIds: t.failed.encode(),
    by: Object.freeze(USER_KEY_KINDS.filter((k) => (t.by & USER_KEY_BIT[k]) !== 0)),
    capped: t.all.capped || t.failed.capped,
  });
}
