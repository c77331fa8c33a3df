import type { JournalEvent } from './journal-event.ts';

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %` : '?';
}

function split(x: unknown): string {
  if (x === null || typeof x !== 'object') return '?';
  return Object.entries(x as Record<string, unknown>)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(' / ');
}

/** One line saying what an event means, for timelines; falls back to its data as compact JSON. */
export function summarizeEvent(e: JournalEvent): string {
  const d = e.data;
  switch (e.kind) {
    case 'split.changed':
      return `split of ${e.subject} set to ${split(d.split ?? d.to)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'alert.firing':
      return d.rule === 'fast'
        ? `PAGE fast rule: ${pct(d.errorRatio)} of ${String(d.requests)} requests failing over ${Number((d.windows as { windowMs?: number })?.windowMs) / 1000} s`
        : `${String(d.severity).toUpperCase()} ${String(d.rule)}${d.sli ? ` on ${String(d.sli)}` : ''}${
            d.burn
              ? `: burn ${(d.burn as { long: number }).long}× long / ${(d.burn as { short: number }).short}× short (threshold ${(d.burn as { threshold: number }).threshold}×)`
              : ''
          }`;
    case 'alert.resolved':
      return `alert ${String(d.alert)} resolved after ${Math.round(Number(d.durationMs) / 1000)} s`;
    case 'capacity.result':
      return `capacity of ${String(d.pool ?? e.subject)}: ${String(d.capacityRps)} req/s certified (p99 ≤ ${String((d.slo as { p99Ms?: number })?.p99Ms)} ms)`;
    case 'migration.gate_refused':
    case 'migration.gate_overridden':
      return `capacity gate ${e.kind === 'migration.gate_refused' ? 'refused' : 'overridden'} by ${e.actor}${d.reason ? `: ${String(d.reason)}` : ''}${
        // Each failed check with its numbers, when the gate recorded them; older events have the two figures.
        Array.isArray(d.refusals) && d.refusals.length > 0
          ? ` (${d.refusals.map(String).join('; ')})`
          : d.capacityRps !== undefined
            ? ` (certified ${String(d.capacityRps)} req/s, needed ${String(d.requiredRps ?? d.required ?? '?')} req/s)`
            : ''
      }`;
    case 'migration.rolled_back':
      return `rolled back${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'incident.opened':
      return `incident ${String(d.incident)} opened: ${String(d.title)}`;
    case 'incident.acknowledged':
      return `incident ${String(d.incident)} acknowledged by ${e.actor}`;
    case 'incident.mitigated':
      return `incident ${String(d.incident)} mitigated (${String(d.by)})`;
    case 'incident.resolved':
      return `incident ${String(d.incident)} resolved`;
    case 'notification.delivered':
    case 'notification.failed':
      return `webhook ${String(d.webhook)} for ${String(d.event)}: ${e.kind === 'notification.delivered' ? 'delivered' : 'FAILED'} after ${String(d.attempts)} attempt(s)${d.error ? ` (${String(d.error)})` : ''}`;
    default: {
      const text = JSON.stringify(d);
      return text === '{}' ? '' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
    }
  }
}
