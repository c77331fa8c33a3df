// Numbers and names as event summaries write them: formatted for people, and never "NaN",
// "undefined" or JSON, whatever a figure holds.
import type { CatalogueEvent, EventKind } from './event-catalogue.ts';

/** One sentence per kind, from the event with its data typed by the catalogue. */
export type SummaryWriters<K extends EventKind> = { [P in K]: (e: CatalogueEvent<P>) => string };

// One formatter per precision: building one per number would cost more than the rest of a summary.
const FORMATS = [0, 1, 2, 3].map((digits) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }));
const format = (x: number, digits: number): string => (FORMATS[digits] as Intl.NumberFormat).format(x);

const COMPONENTS = new Set(['rollout', 'balancer', 'haproxy', 'piper', 'journal', 'alert', 'loadgen', 'piper capacity']);

/** A whole count with thousands separators: `1,062`. */
export function count(n: number): string {
  return Number.isFinite(n) ? format(Math.round(n), 0) : 'an unknown number of';
}

/** `1 attempt`, `7 attempts`. */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${Math.round(n) === 1 ? '' : 's'}`;
}

/** A figure with at most one decimal: `24.7`, `120`, `1,250`. */
export function figure(x: number): string {
  return Number.isFinite(x) ? format(x, x !== 0 && Math.abs(x) < 1 ? 2 : 1) : 'unknown';
}

/** A rate: `120 req/s`. */
export function rate(rps: number): string {
  return `${figure(rps)} req/s`;
}

/** A ratio 0..1 as a percentage, with the decimals a small one needs: `38.9 %`, `0.04 %`, `0 %`. */
export function percent(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'an unknown share';
  const p = ratio * 100;
  const digits = p === 0 || Math.abs(p) >= 1 ? 1 : Math.abs(p) >= 0.1 ? 2 : 3;
  return `${format(Number(p.toFixed(digits)), digits)} %`;
}

/** A duration for people: `850 ms`, `1.5 s`, `3 min 20 s`, `5 min`, `2 h 05 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${figure(Math.round(ms / 100) / 10)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A split as each pool's share of the route: `vendor 90 % / inhouse 10 %` (HAProxy's weights need not sum to 100). */
export function splitText(split: Readonly<Record<string, number>>): string {
  const entries = Object.entries(split);
  const total = entries.reduce((sum, [, w]) => sum + (Number.isFinite(w) && w > 0 ? w : 0), 0);
  if (entries.length === 0) return 'no pools';
  if (total === 0) return `no traffic to ${list(entries.map(([pool]) => pool))}`;
  return entries.map(([pool, w]) => `${pool} ${figure(Math.round((Math.max(0, w) / total) * 1000) / 10)} %`).join(' / ');
}

/** `a`, `a and b`, `a, b and c`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? 'none';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Who did it, as the subject of a sentence: a person's name, or `an operator` for the default actor. */
export function who(actor: string): string {
  return actor === 'operator' || actor === '' ? 'an operator' : actor;
}

/** True when the actor is one of piper's components rather than a person. */
export function isComponent(actor: string): boolean {
  return COMPONENTS.has(actor);
}

/** ` by jared` for a person, nothing for a component (the sentence already says which one acted). */
export function byPerson(actor: string): string {
  return isComponent(actor) ? '' : ` by ${who(actor)}`;
}

/** A stable rule word (`error_ratio`) in plain words. */
export function words(code: string): string {
  return RULE_WORDS[code] ?? code.replaceAll('_', ' ');
}

const RULE_WORDS: Record<string, string> = {
  error_ratio: 'error ratio over the limit',
  connection_failures: 'connection failures',
  msprt_errors: 'more errors than on the source',
  msprt_latency: 'more slow requests than on the source',
  msprt_relative_latency: "slower than the source's p90",
  p99_over_slo: "p99 over the route's SLO",
  no_target_data: 'no traffic on the target',
  incomplete_data: 'incomplete telemetry',
  no_traffic: 'no traffic on the route',
  no_telemetry: 'no telemetry',
  incomplete_telemetry: 'incomplete telemetry',
  gate: 'capacity gate',
  judge: 'judge',
};
