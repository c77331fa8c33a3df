// What a chart's axes say: ticks on 1, 2 and 5 × a power of ten (never thirds such as 33.3/s or
// 167 ms), labelled in one unit per axis with no more decimals than the step needs, and clock
// times in UTC like every table of the page.

import { millis, percent, rate } from './format.js';

/** @typedef {'ms' | 'rps' | 'ratio' | 'count'} Unit */

/** Tick steps uPlot may pick from: 1, 2, 5 × 10^k, from 10^-6 (a ratio in ppm) to 10^9. */
export const ROUND_STEPS = Array.from({ length: 16 }, (_, i) => [1, 2, 5].map((m) => Number((m * 10 ** (i - 6)).toPrecision(1)))).flat();

/**
 * An axis top for values up to `max`: a whole number of round steps, the step being the smallest
 * 1, 2 or 5 × 10^k that reaches `max` in four, so the top gridline carries a label (405 ms → 600).
 * @param {number} max
 */
export function axisTop(max) {
  if (!(max > 0)) return 1;
  const step = ROUND_STEPS.find((s) => s * 4 >= max * (1 - 1e-9)) ?? max / 4;
  return Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12));
}

/**
 * A value written with just the decimals a tick step needs (step 0.5 → 1 decimal, 20 → none).
 * @param {number} v
 * @param {number} step
 */
export function roundNumber(v, step) {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(Math.min(decimals, 6));
}

/**
 * The label of one tick on an axis of `unit` whose ticks are `step` apart. A latency axis whose
 * step is a second or more is written in seconds throughout, so one axis never mixes ms and s.
 * @param {Unit} unit
 * @param {number} v
 * @param {number} step
 */
export function tickLabel(unit, v, step) {
  if (unit === 'ms') return step >= 1000 ? `${roundNumber(v / 1000, step / 1000)} s` : `${roundNumber(v, step)} ms`;
  if (unit === 'rps') return step >= 1000 ? `${roundNumber(v / 1000, step / 1000)}k/s` : `${roundNumber(v, step)}/s`;
  if (unit === 'ratio') return `${roundNumber(v * 100, step * 100)}%`;
  return roundNumber(v, step);
}

/**
 * A value as the legend and the hover readout show it.
 * @param {Unit} unit
 * @param {number | null | undefined} v
 */
export function valueLabel(unit, v) {
  if (unit === 'ms') return millis(v);
  if (unit === 'rps') return rate(v);
  if (unit === 'ratio') return percent(v);
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : '—';
}

/**
 * A clock-time tick: minutes when the ticks are whole minutes apart, else seconds.
 * @param {number} ms epoch ms
 * @param {number} step ms between ticks
 */
export function clockTick(ms, step) {
  const iso = new Date(ms).toISOString();
  return step % 60_000 === 0 ? iso.slice(11, 16) : iso.slice(11, 19);
}
