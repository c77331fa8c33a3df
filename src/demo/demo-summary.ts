import { FIGURE_LABELS, type FigureLabel, figureRows, type IncidentNumbers } from '../journal/index.ts';

/**
 * The 2017 afternoon in the same words, as seed/postmortem-2017-03-31.md tells it: the switch at
 * 14:50, "the first ten minutes" fine, no load balancer working at 15:20, the rollback by hand six
 * hours after the switch, a beta with "no customers" affected. What the seed does not record
 * stays "not recorded": nobody counted requests that afternoon.
 */
export const SEED_2017: Readonly<Record<FigureLabel, string>> = Object.freeze({
  'failed requests': 'not recorded; from 15:20 no load balancer worked',
  'of which shed': 'not recorded (nothing shed load)',
  'saved by a retry (not failed)': 'not recorded',
  'share of requests failed': 'not recorded',
  'share of users affected': 'beta testers only: "no customers were impacted"',
  'time to detect': 'not recorded ("quickly"); the first 10 min went fine',
  'time to mitigate': '~6 h (switch to rollback, by hand)',
  'time to resolve': '~6 h (the same rollback)',
});

/** What this run measured: the incident's numbers, as the journal computes them for every place that shows them. */
export interface DemoFacts {
  incidentId: number;
  numbers: IncidentNumbers;
}

/** Rows of the closing side-by-side table, 2017 against piper, in the words of docs/journal.md ("Numbers"). */
export function summaryRows(f: DemoFacts): string[][] {
  const piper = new Map(figureRows(f.numbers));
  return FIGURE_LABELS.map((label) => [label, SEED_2017[label], piper.get(label) ?? '—']);
}
