import { PiperError } from '../core/index.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** One point of a recorded rate curve. */
export interface RatePoint {
  atS: number;
  rps: number;
}

function curveError(source: string, message: string): PiperError {
  return new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_CURVE, `${source}: ${message}`, { details: { file: source } });
}

/**
 * Parses a rate curve from CSV (`seconds,rate` rows, or one rate per line meaning one per second;
 * a header row is skipped) or JSON (`[120, 130, ...]` or `[{ "t": 0, "rate": 120 }, ...]`).
 */
export function parseRateCurve(text: string, source: string): RatePoint[] {
  const trimmed = text.trim();
  const points = trimmed.startsWith('[') || trimmed.startsWith('{') ? fromJson(trimmed, source) : fromCsv(trimmed, source);
  if (points.length === 0) throw curveError(source, 'no rate points found');
  for (const [i, p] of points.entries()) {
    if (!Number.isFinite(p.atS) || !Number.isFinite(p.rps) || p.rps < 0) {
      throw curveError(source, `point ${i + 1}: expected a time in seconds and a rate ≥ 0, got ${p.atS}, ${p.rps}`);
    }
  }
  return points;
}

function fromJson(text: string, source: string): RatePoint[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw curveError(source, `invalid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(data) ? data : (data as { points?: unknown }).points;
  if (!Array.isArray(list)) throw curveError(source, 'expected an array of rates or of { t, rate } objects');
  return list.map((item: unknown, i) => {
    if (typeof item === 'number') return { atS: i, rps: item };
    const o = item as { t?: unknown; rate?: unknown };
    if (typeof o?.t === 'number' && typeof o.rate === 'number') return { atS: o.t, rps: o.rate };
    throw curveError(source, `item ${i + 1}: expected a number or { "t": seconds, "rate": per-second }`);
  });
}

function fromCsv(text: string, source: string): RatePoint[] {
  const out: RatePoint[] = [];
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  for (const [i, line] of lines.entries()) {
    const cells = line.split(/[,;\t]/).map((c) => c.trim());
    const nums = cells.map(Number);
    if (nums.some((n) => Number.isNaN(n))) {
      if (i === 0) continue; // a header row
      throw curveError(source, `line ${i + 1}: "${line}" is not numeric`);
    }
    if (nums.length === 1) out.push({ atS: out.length, rps: nums[0] as number });
    else out.push({ atS: nums[0] as number, rps: nums[1] as number });
  }
  return out;
}
