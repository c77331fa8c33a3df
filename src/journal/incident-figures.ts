import type { IncidentNumbers } from './incident-numbers.ts';
import { humanDuration } from './time-format.ts';

/** The labels of {@link figureRows}, in their order: the words every place uses for the numbers. */
export const FIGURE_LABELS = [
  'failed requests',
  'of which shed',
  'saved by a retry (not failed)',
  'share of requests failed',
  'share of users affected',
  'time to detect',
  'time to mitigate',
  'time to resolve',
] as const;

/** One of {@link FIGURE_LABELS}. */
export type FigureLabel = (typeof FIGURE_LABELS)[number];

/** A share as people read it: `14.0 %`, `0.21 %`, `0.004 %`. */
export function formatShare(x: number): string {
  const p = x * 100;
  return `${p.toFixed(p === 0 || p >= 10 ? 1 : p >= 0.1 ? 2 : 3)} %`;
}

/** A count with thousands separators: `11,178`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `14 of 80 users (17.5 %), by sticky cookie`; says so when no users were told apart. */
export function usersPhrase(n: IncidentNumbers): string {
  const u = n.users;
  if (u === null) return 'not counted (the data plane told no users apart)';
  const bound = u.lowerBound ? 'at least ' : '';
  return `${bound}${formatCount(u.affected)} of ${bound}${formatCount(u.total)} users (${formatShare(u.share)}), ${u.method}`;
}

/** A time from the impact start, or `not yet`. */
function since(ms: number | null): string {
  return ms === null ? 'not yet' : humanDuration(ms);
}

/**
 * An incident's numbers as label → value rows, in the words of docs/journal.md ("Numbers"): the
 * postmortem's impact table, the demo's closing table and `piper incidents` print these.
 */
export function figureRows(n: IncidentNumbers): [FigureLabel, string][] {
  const unmeasured = 'not measured (no traffic samples kept for the period)';
  return [
    ['failed requests', n.measured ? `${formatCount(n.failed)} of ${formatCount(n.requests)}` : unmeasured],
    ['of which shed', n.measured ? formatCount(n.shed) : '—'],
    ['saved by a retry (not failed)', n.measured ? formatCount(n.savedByRetry) : '—'],
    ['share of requests failed', n.measured ? formatShare(n.failedShare) : '—'],
    ['share of users affected', n.measured ? usersPhrase(n) : '—'],
    ['time to detect', humanDuration(n.detectMs)],
    ['time to mitigate', since(n.mitigateMs)],
    ['time to resolve', since(n.resolveMs)],
  ];
}
