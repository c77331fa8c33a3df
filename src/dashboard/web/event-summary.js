// One line per journal event for timelines and the live feed: the figures that matter for the
// well-known kinds, the raw data for the rest.

import { badge } from './element.js';
import { percent, rate } from './format.js';

/**
 * @param {any} e a JournalEvent
 * @returns {string}
 */
export function summarize(e) {
  const d = e?.data ?? {};
  switch (e?.kind) {
    case 'split.changed':
      return `${d.from || d.previous ? `${splitText(d.from ?? d.previous)} → ` : ''}${splitText(d.split ?? d.to)}${d.reason ? ` (${d.reason})` : ''}`;
    case 'backend.ejected':
      return `${d.reason ?? 'ejected'}${typeof d.durationMs === 'number' ? ` for ${Math.round(d.durationMs / 1000)} s` : ''}`;
    case 'capacity.result':
      return `capacity ${rate(d.capacityRps)} at p99 < ${d.slo?.p99Ms ?? '?'} ms${d.require ? ` · needs ${d.require.factor}× peak: ${d.require.passed ? 'passed' : 'FAILED'}` : ''}`;
    case 'migration.decision':
      return `${d.verdict ?? '?'} ${(d.reasons ?? []).join(', ')}${d.target ? ` · target ${percent(d.target.errorRatio)} errors, p99 ${Math.round(d.target.p99Ms ?? 0)} ms` : ''}`;
    case 'alert.firing':
      if (d.rule === 'fast') return `PAGE fast rule: ${percent(d.errorRatio)} of ${d.requests ?? '?'} requests failing`;
      return `${String(d.severity ?? '').toUpperCase()} ${d.rule ?? d.alert ?? ''}${d.sli ? ` on ${d.sli}` : ''}${
        d.burn && typeof d.burn === 'object'
          ? `: burn ${d.burn.long}× long / ${d.burn.short}× short (threshold ${d.burn.threshold}×)`
          : typeof d.burn === 'number'
            ? `: burn ${d.burn}×`
            : ''
      }`;
    case 'alert.resolved':
      return `alert ${d.alert ?? d.rule ?? ''} resolved${typeof d.durationMs === 'number' ? ` after ${Math.round(d.durationMs / 1000)} s` : ''}`;
    case 'migration.gate_refused':
    case 'migration.gate_overridden': {
      const figures =
        typeof d.capacityRps === 'number'
          ? `projected ${rate(d.projectedRps)} vs certified ${rate(d.capacityRps)} / ${d.headroom ?? '?'}×`
          : '';
      const why =
        e.kind === 'migration.gate_overridden' && d.reason && d.reason !== 'over_capacity'
          ? String(d.reason)
          : String(d.reason ?? '').replace(/_/g, ' ');
      return [why, figures].filter(Boolean).join(' · ');
    }
    case 'migration.started':
      return `${d.route ?? d.plan?.route ?? ''}: ${d.from ?? d.plan?.from ?? '?'} → ${d.to ?? d.plan?.to ?? '?'}${Array.isArray(d.steps ?? d.plan?.steps) ? ` in steps ${(d.steps ?? d.plan.steps).join(', ')}%` : ''}`;
    case 'migration.step':
      return `step to ${d.targetPercent ?? d.percent ?? '?'}% on target`;
    default: {
      const text = d.reason ?? d.message ?? d.title ?? d.detail;
      if (typeof text === 'string') return text;
      const json = JSON.stringify(d);
      return json === '{}' ? '' : json.length > 160 ? `${json.slice(0, 157)}…` : json;
    }
  }
}

/** @param {unknown} split */
function splitText(split) {
  if (!split || typeof split !== 'object') return '?';
  if ('split' in split) return splitText(split.split);
  const entries = Object.entries(split);
  const total = entries.reduce((s, [, w]) => s + Number(w), 0) || 1;
  return entries.map(([p, w]) => `${p} ${Math.round((Number(w) / total) * 1000) / 10}%`).join(' / ');
}

/**
 * A badge whose colour says how bad a kind of event is.
 * @param {string} kind
 */
export function kindBadge(kind) {
  const bad = /rolled_back|ejected|down|no_healthy|firing|opened|gate_refused|reverted|aborted/;
  const good = /completed|readmitted|\.up$|resolved|mitigated/;
  const warn = /paused|overridden|acknowledged|hold/;
  const tone = bad.test(kind) ? 'bad' : good.test(kind) ? 'ok' : warn.test(kind) ? 'warn' : 'info';
  return badge(kind, tone);
}
