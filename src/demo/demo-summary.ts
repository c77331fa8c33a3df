import { formatDuration } from '../core/index.ts';

/** The figures of the 2017 afternoon, from the seed's postmortem. */
export const SEED_2017 = {
  outageMs: 6 * 3_600_000,
  /** 14:50 switch → 15:20 "none of our load balancers were functioning". */
  detectMs: 30 * 60_000,
  recoverMs: 6 * 3_600_000,
  affectedShare: 1,
} as const;

/** What this run measured, all from the journal. */
export interface DemoFacts {
  /** First bad second → traffic back on the vendor pool (the seed counts to its rollback too). */
  outageMs: number;
  /** Failed and shed requests during the incident, and every request of the run. */
  failedRequests: number;
  totalRequests: number;
  /** Failed + shed over the requests of the whole run: the share of users' requests that saw an error. */
  affectedShare: number;
  /** Failed + shed over the requests during the incident. */
  incidentShare: number;
  detectMs: number;
  /** First failing response → no more requests to the in-house pool. */
  rollbackMs: number;
  /** First bad second → traffic back on the vendor pool. */
  recoverMs: number;
}

/** Rows of the closing side-by-side table: 2017 against piper. */
export function summaryRows(f: DemoFacts): string[][] {
  const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
  return [
    ['outage duration', formatDuration(SEED_2017.outageMs), formatDuration(f.outageMs)],
    ['failed requests', 'every request for 6 h', `${f.failedRequests} of ${f.totalRequests} in the run`],
    ['share of users affected', pct(SEED_2017.affectedShare), `${pct(f.affectedShare)} (${pct(f.incidentShare)} during the incident)`],
    ['time to detect', `~${formatDuration(SEED_2017.detectMs)}`, formatDuration(f.detectMs)],
    ['time to recover', formatDuration(SEED_2017.recoverMs), formatDuration(f.recoverMs)],
    ['rollback (first failure → traffic back)', 'by hand, hours', formatDuration(f.rollbackMs)],
  ];
}
