import { PiperError } from '../core/index.ts';
import { journalErrors } from './journal-errors.ts';

/** How urgent an alert is: a page opens an incident; a ticket or warning does not. */
export type AlertSeverity = 'page' | 'ticket' | 'warning';

/** One multiwindow burn-rate rule: fires when the burn rate exceeds `burn` over both windows. */
export interface BurnRateRule {
  name: string;
  severity: 'page' | 'ticket';
  longMs: number;
  shortMs: number;
  burn: number;
}

/** Total or near-total failure over seconds: pages within 30 s of an outage even at low traffic. */
export interface FastRule {
  windowMs: number;
  /** Error ratio over the window that counts as an outage. */
  minRatio: number;
  /** Requests the window needs before it may fire (a single failure is not an outage). */
  minRequests: number;
}

/** Every alerting threshold of the SLO monitor; window lengths are configurable. */
export interface AlertPolicy {
  rules: BurnRateRule[];
  fast: FastRule;
  /** The SLO period the error budget is counted over (30 days, as in the SRE Workbook). */
  periodMs: number;
  /** A 1-second window is "bad" (impact start and end) when its burn rate exceeds this. */
  badWindowBurn: number;
  /** Good windows tolerated inside one impact run before it counts as ended. */
  impactGapMs: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** SRE Workbook table 5-8: page 14.4× over 1 h & 5 min, 6× over 6 h & 30 min; ticket 1× over 3 d & 6 h. */
export const DEFAULT_ALERT_POLICY: AlertPolicy = Object.freeze({
  rules: [
    { name: 'page-1h-5m', severity: 'page', longMs: HOUR, shortMs: 5 * MIN, burn: 14.4 },
    { name: 'page-6h-30m', severity: 'page', longMs: 6 * HOUR, shortMs: 30 * MIN, burn: 6 },
    { name: 'ticket-3d-6h', severity: 'ticket', longMs: 72 * HOUR, shortMs: 6 * HOUR, burn: 1 },
  ],
  fast: { windowMs: 10_000, minRatio: 0.9, minRequests: 5 },
  periodMs: 30 * 24 * HOUR,
  badWindowBurn: 14.4,
  impactGapMs: 30_000,
}) as AlertPolicy;

/** Checks a policy; throws PIPER_JOURNAL_BAD_POLICY naming the field. */
export function validateAlertPolicy(p: AlertPolicy): AlertPolicy {
  const bad = (field: string, problem: string): PiperError =>
    new PiperError(journalErrors.PIPER_JOURNAL_BAD_POLICY, `alert policy ${field} ${problem}`, { details: { field } });
  p.rules.forEach((r, i) => {
    if (!(r.shortMs >= 1000 && r.longMs > r.shortMs)) throw bad(`rules[${i}]`, 'needs shortMs >= 1000 and longMs > shortMs');
    if (!(r.burn > 0)) throw bad(`rules[${i}].burn`, 'must be above 0');
  });
  if (!(p.fast.windowMs >= 1000)) throw bad('fast.windowMs', 'must be at least 1000');
  if (!(p.fast.minRatio > 0 && p.fast.minRatio <= 1)) throw bad('fast.minRatio', 'must be in (0, 1]');
  if (!(p.periodMs >= HOUR)) throw bad('periodMs', 'must be at least an hour');
  return p;
}

/** The longest window any rule looks at: how much per-second history the monitor keeps. */
export function longestWindow(p: AlertPolicy): number {
  return Math.max(p.fast.windowMs, ...p.rules.map((r) => r.longMs));
}
