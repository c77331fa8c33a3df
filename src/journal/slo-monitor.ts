import type { SloConfig } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { AlertBook } from './alert-book.ts';
import { type AlertPolicy, DEFAULT_ALERT_POLICY, longestWindow, validateAlertPolicy } from './alert-policy.ts';
import type { Journal } from './journal.ts';
import type { TrafficSample } from './traffic-sample.ts';
import { WindowSums } from './window-sums.ts';

/** The two SLIs of a route: failed or shed requests, and requests over the latency threshold. */
export type Sli = 'availability' | 'latency';

/** A route's objectives as the monitor uses them (fractions). */
export interface RouteObjective {
  availability: number;
  latencyThresholdMs: number;
  latencyTarget: number;
}

/** Burn rates of one rule's two windows, for the API and the dashboard. */
export interface RuleBurn {
  rule: string;
  severity: 'page' | 'ticket';
  threshold: number;
  longMs: number;
  shortMs: number;
  long: number;
  short: number;
  firing: boolean;
  /**
   * True while the route's history is shorter than the short window: the rule cannot fire yet,
   * whatever its burn (one failure among a few requests reads as a huge burn).
   */
  warmingUp: boolean;
}

/** One route's SLO status (`GET /api/v1/slo`). */
export interface RouteSloStatus {
  route: string;
  objective: RouteObjective;
  /** An operator's route (`routes[].internal`), not a service users see. */
  internal: boolean;
  lastSampleAt: number | null;
  /** Start of the newest second that had a request; null when none is held. */
  lastRequestAt: number | null;
  /** How much per-second history the monitor holds for the route (what the warm-up counts). */
  historyMs: number;
  sli: Record<Sli, RuleBurn[]>;
  fast: { windowMs: number; errorRatio: number; requests: number; firing: boolean };
}

/** Turns the route config's `slo` into the monitor's objective. */
export function objectiveOf(slo: SloConfig): RouteObjective {
  return { availability: slo.availability, latencyThresholdMs: slo.latency.threshold, latencyTarget: slo.latency.target };
}

/** The objective of a route piper.yaml does not list (the `slo` defaults: 99.9 %, 500 ms at 99 %). */
export const DEFAULT_OBJECTIVE: RouteObjective = { availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 };

export interface SloMonitorOptions {
  journal: Journal;
  alerts: AlertBook;
  clock: Clock;
  logger: Logger;
  /** Objectives by route name; a route not listed gets 99.9 % / 500 ms at 99 %. */
  objectives: Record<string, RouteObjective>;
  /** Routes marked `internal` in piper.yaml. */
  internal?: readonly string[];
  policy?: AlertPolicy;
  /** How long per-second samples are kept (default: the longest alert window). */
  sampleRetentionMs?: number;
}

/**
 * Multiwindow, multi-burn-rate SLO alerts (SRE Workbook ch. 5) plus a fast outage rule, fed one
 * {@link TrafficSample} per route per second. Evaluation runs in event time (the sample's time), so
 * a replayed afternoon and a live one alert alike.
 */
export class SloMonitor {
  readonly policy: AlertPolicy;
  #o: SloMonitorOptions;
  #routes = new Map<string, RouteHistory>();
  #retention: number;
  #lastPrune = 0;

  constructor(options: SloMonitorOptions) {
    this.#o = options;
    this.policy = validateAlertPolicy(options.policy ?? DEFAULT_ALERT_POLICY);
    // Never shorter than the longest window, or a restart would forget what an alert is judging.
    this.#retention = Math.max(options.sampleRetentionMs ?? 0, longestWindow(this.policy));
    this.#warmUp();
  }

  /** Records one route's second of traffic and evaluates every rule for that route. */
  observe(sample: TrafficSample): void {
    try {
      this.#o.journal.putSamples([sample]);
    } catch (err) {
      this.#o.logger.error({ err, route: sample.route }, 'traffic sample not stored');
    }
    this.#add(sample);
    this.#evaluate(sample.route, sample.time + 1000);
    if (sample.time - this.#lastPrune >= 60_000) {
      this.#lastPrune = sample.time;
      try {
        this.#o.journal.store.pruneSamples(sample.time - this.#retention);
      } catch (err) {
        this.#o.logger.error({ err }, 'traffic sample pruning failed');
      }
    }
  }

  objective(route: string): RouteObjective {
    return this.#o.objectives[route] ?? DEFAULT_OBJECTIVE;
  }

  /** Current burn rates and firing state of every route seen. */
  status(): RouteSloStatus[] {
    return [...this.#routes.keys()].sort().map((route) => this.statusOf(route));
  }

  /** One route's status (zeros for a route with no samples yet). */
  statusOf(route: string): RouteSloStatus {
    const entry = this.#routes.get(route);
    const objective = this.objective(route);
    const historyMs = entry?.sums.coverage() ?? 0;
    const sli = {} as Record<Sli, RuleBurn[]>;
    for (const s of ['availability', 'latency'] as const) {
      const budget = s === 'availability' ? 1 - objective.availability : 1 - objective.latencyTarget;
      sli[s] = this.policy.rules.map((r) => ({
        rule: r.name,
        severity: r.severity,
        threshold: r.burn,
        longMs: r.longMs,
        shortMs: r.shortMs,
        long: entry ? burnOf(entry.sums, r.longMs, s, budget) : 0,
        short: entry ? burnOf(entry.sums, r.shortMs, s, budget) : 0,
        firing: this.#o.alerts.isFiring(`${route}:${s}:${r.name}`),
        warmingUp: historyMs < r.shortMs,
      }));
    }
    const fast = entry?.sums.totals(this.policy.fast.windowMs) ?? { requests: 0, bad: 0, slow: 0 };
    return {
      route,
      objective,
      internal: this.#o.internal?.includes(route) ?? false,
      lastSampleAt: entry?.last ?? null,
      lastRequestAt: entry?.lastRequest ?? null,
      historyMs,
      sli,
      fast: {
        windowMs: this.policy.fast.windowMs,
        errorRatio: fast.requests > 0 ? fast.bad / fast.requests : 0,
        requests: fast.requests,
        firing: this.#o.alerts.isFiring(`${route}:availability:fast`),
      },
    };
  }

  #sums(route: string): RouteHistory {
    let entry = this.#routes.get(route);
    if (entry === undefined) {
      const windows = [this.policy.fast.windowMs, ...this.policy.rules.flatMap((r) => [r.longMs, r.shortMs])];
      entry = { sums: new WindowSums(windows), last: 0, lastRequest: null };
      this.#routes.set(route, entry);
    }
    return entry;
  }

  #add(s: TrafficSample): void {
    const entry = this.#sums(s.route);
    entry.sums.add(s.time, s.requests, s.failed + s.shed, s.slow);
    entry.last = Math.max(entry.last, s.time);
    if (s.requests > 0) entry.lastRequest = Math.max(entry.lastRequest ?? 0, s.time);
  }

  /** Restores the windows from stored samples, so a restart does not forget the last hours. */
  #warmUp(): void {
    const now = this.#o.clock.now();
    try {
      for (const s of this.#o.journal.samples(undefined, now - longestWindow(this.policy), now + 1)) this.#add(s);
    } catch (err) {
      this.#o.logger.error({ err }, 'traffic samples not reloaded');
    }
  }

  #evaluate(route: string, at: number): void {
    const { sums } = this.#sums(route);
    const objective = this.objective(route);
    for (const sli of ['availability', 'latency'] as const) {
      const budget = sli === 'availability' ? 1 - objective.availability : 1 - objective.latencyTarget;
      for (const r of this.policy.rules) {
        const id = `${route}:${sli}:${r.name}`;
        const long = burnOf(sums, r.longMs, sli, budget);
        const short = burnOf(sums, r.shortMs, sli, budget);
        const data = {
          sli,
          tier: r.severity,
          windows: { longMs: r.longMs, shortMs: r.shortMs },
          burn: { threshold: r.burn, long: round(long), short: round(short) },
          errorRatio: round(ratioOf(sums, r.shortMs, sli)),
          objective: sli === 'availability' ? objective.availability : objective.latencyTarget,
        };
        // A long window holding less history than its short one is not yet meaningful: right
        // after a start, one failure among a few requests would otherwise raise a 3-day ticket.
        // `statusOf` shows the same condition as `warmingUp`.
        const enoughHistory = sums.coverage() >= r.shortMs;
        if (enoughHistory && long > r.burn && short > r.burn) {
          this.#o.alerts.fire({ id, rule: r.name, severity: r.severity, subject: route, route, data }, at);
        } else if (short <= r.burn) {
          // Clears on the short window, as the Workbook intends: minutes after errors stop, not hours.
          this.#o.alerts.resolve(id, at, { burn: data.burn });
        }
      }
    }
    const f = this.policy.fast;
    const t = sums.totals(f.windowMs);
    const ratio = t.requests > 0 ? t.bad / t.requests : 0;
    const id = `${route}:availability:fast`;
    if (t.requests >= f.minRequests && ratio >= f.minRatio) {
      this.#o.alerts.fire(
        {
          id,
          rule: 'fast',
          severity: 'page',
          subject: route,
          route,
          data: {
            sli: 'availability',
            tier: 'page',
            windows: { windowMs: f.windowMs },
            errorRatio: round(ratio),
            requests: t.requests,
            failed: t.bad,
            minRatio: f.minRatio,
          },
        },
        at,
      );
    } else if (ratio < f.minRatio / 2 || t.requests === 0) {
      // Hysteresis: a half-recovered route keeps the page rather than flapping.
      this.#o.alerts.resolve(id, at, { errorRatio: round(ratio) });
    }
  }
}

/** A route's per-second history: running sums, the newest sample, the newest second with traffic. */
interface RouteHistory {
  sums: WindowSums;
  last: number;
  lastRequest: number | null;
}

function ratioOf(sums: WindowSums, ms: number, sli: Sli): number {
  const t = sums.totals(ms);
  if (t.requests <= 0) return 0;
  return (sli === 'availability' ? t.bad : t.slow) / t.requests;
}

function burnOf(sums: WindowSums, ms: number, sli: Sli, budget: number): number {
  return budget > 0 ? ratioOf(sums, ms, sli) / budget : 0;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
