import { PiperError, parseDuration, parseRate } from '../core/index.ts';
import type { RatePlan, RateSegment } from './arrival-schedule.ts';
import { loadgenErrors } from './loadgen-errors.ts';

function planError(key: string, message: string, details: Record<string, unknown> = {}): PiperError {
  return new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_PLAN, `${key}: ${message}`, { details: { key, ...details } });
}

/** A constant arrival rate for a duration. */
export function constantPlan(rps: number, durationMs: number): RatePlan {
  if (!(rps > 0)) throw planError('rate', `must be above 0/s, got ${rps}`);
  if (!(durationMs > 0)) throw planError('duration', `must be above 0, got ${durationMs}ms`);
  return [{ durationMs, fromRps: rps, toRps: rps }];
}

/**
 * Stages like k6's ramping-arrival-rate: `30s:100/s,1m:500/s,10s:0/s` ramps linearly from the
 * previous target (or `startRps`) to each stage's target over the stage's duration.
 */
export function stagesPlan(text: string, startRps = 0): RatePlan {
  const segments: RateSegment[] = [];
  let from = startRps;
  for (const part of text.split(',')) {
    const m = /^\s*([^:]+):(.+)$/.exec(part);
    if (m === null) throw planError('stages', `"${part}" is not DURATION:RATE (e.g. 30s:200/s)`);
    const durationMs = parseDuration(m[1] as string);
    const to = parseRate(m[2] as string);
    segments.push({ durationMs, fromRps: from, toRps: to });
    from = to;
  }
  if (planTotalMs(segments) <= 0) throw planError('stages', 'the stages last 0 ms in total');
  return segments;
}

/** Where and how a spike happens: `factor` × the base rate, reached within `riseMs` at `atMs`. */
export interface SpikeSpec {
  factor: number;
  atMs: number;
  holdMs: number;
  riseMs: number;
}

/** Parses `5x@10s` or `5x@10s:20s` (factor @ start : hold, hold defaulting to 10 s). */
export function parseSpike(text: string): SpikeSpec {
  const m = /^\s*(\d+(?:\.\d+)?)x@([^:]+)(?::(.+))?$/.exec(text);
  if (m === null) throw planError('spike', `"${text}" is not FACTORx@START[:HOLD] (e.g. 5x@10s:20s)`);
  const factor = Number(m[1]);
  if (!(factor > 0)) throw planError('spike', `factor must be above 0, got ${m[1]}`);
  return { factor, atMs: parseDuration(m[2] as string), holdMs: m[3] === undefined ? 10_000 : parseDuration(m[3]), riseMs: 1000 };
}

/**
 * Lays a spike over a plan: the rate climbs to factor × its value within `riseMs` (1× to N× within
 * a second by default), holds, and falls back as fast. Rates outside the spike are untouched.
 */
export function withSpike(plan: RatePlan, spike: SpikeSpec): RatePlan {
  const end = planTotalMs(plan);
  if (spike.atMs >= end) throw planError('spike', `starts at ${spike.atMs}ms, after the plan ends (${end}ms)`);
  const points = [
    0,
    spike.atMs,
    spike.atMs + spike.riseMs,
    spike.atMs + spike.riseMs + spike.holdMs,
    spike.atMs + 2 * spike.riseMs + spike.holdMs,
    end,
  ];
  const cuts = [...new Set([...points.filter((p) => p <= end), ...boundaries(plan)])].sort((a, b) => a - b);
  const factorAt = (ms: number): number => {
    const [s, r1, h, r2] = [
      spike.atMs,
      spike.atMs + spike.riseMs,
      spike.atMs + spike.riseMs + spike.holdMs,
      spike.atMs + 2 * spike.riseMs + spike.holdMs,
    ];
    if (ms < s || ms > r2) return 1;
    if (ms < r1) return 1 + ((spike.factor - 1) * (ms - s)) / spike.riseMs;
    if (ms <= h) return spike.factor;
    return spike.factor - ((spike.factor - 1) * (ms - h)) / spike.riseMs;
  };
  const out: RateSegment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i] as number;
    const b = cuts[i + 1] as number;
    if (b <= a) continue;
    out.push({ durationMs: b - a, fromRps: rateIn(plan, a, false) * factorAt(a), toRps: rateIn(plan, b, true) * factorAt(b) });
  }
  return out;
}

/** Options of a replayed rate curve. */
export interface ReplayOptions {
  /** Multiplies every rate (2 = twice the recorded traffic). */
  scale?: number;
  /** Divides time (60 = one recorded minute played in one second); rates are kept. */
  compress?: number;
}

/**
 * A plan from a recorded rate curve: points (seconds, rate) joined by linear ramps, each point
 * holding until the next. Scaled in rate and compressed in time as asked.
 */
export function replayPlan(points: readonly { atS: number; rps: number }[], options: ReplayOptions = {}): RatePlan {
  const scale = options.scale ?? 1;
  const compress = options.compress ?? 1;
  if (!(scale > 0)) throw planError('scale', `must be above 0, got ${scale}`);
  if (!(compress > 0)) throw planError('compress', `must be above 0, got ${compress}`);
  if (points.length === 0) throw planError('replay', 'the curve has no points');
  const out: RateSegment[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as { atS: number; rps: number };
    const next = points[i + 1];
    // The last point lasts one recorded second, like every per-second sample.
    const durS = next === undefined ? 1 : next.atS - p.atS;
    if (!(durS > 0)) throw planError('replay', `point ${i + 1}: times must increase (${p.atS}s then ${next?.atS}s)`);
    out.push({ durationMs: (durS * 1000) / compress, fromRps: p.rps * scale, toRps: (next ?? p).rps * scale });
  }
  return out;
}

function planTotalMs(plan: RatePlan): number {
  return plan.reduce((t, s) => t + s.durationMs, 0);
}

function boundaries(plan: RatePlan): number[] {
  const out = [0];
  let t = 0;
  for (const s of plan) {
    t += s.durationMs;
    out.push(t);
  }
  return out;
}

// The plan's rate at `ms`; at a segment boundary `fromLeft` picks the ending segment's value.
function rateIn(plan: RatePlan, ms: number, fromLeft: boolean): number {
  let start = 0;
  for (const s of plan) {
    const end = start + s.durationMs;
    if ((fromLeft ? ms <= end : ms < end) && ms >= start) {
      const f = s.durationMs === 0 ? 1 : (ms - start) / s.durationMs;
      return s.fromRps + (s.toRps - s.fromRps) * f;
    }
    start = end;
  }
  const last = plan[plan.length - 1];
  return last === undefined ? 0 : last.toRps;
}
