// Figures about pools that several views show the same way: health tone, colours, split bars,
// capacity headroom gauges.

import { badge, h } from './element.js';
import { percent, rate } from './format.js';
import { colourOf } from './line-chart.js';
import { capacityOf, recentRate, store } from './store.js';

/** Sorted pool names of the current snapshot (stable colours). */
export function poolNames() {
  return (store.state?.pools ?? []).map((/** @type {any} */ p) => p.name).sort();
}

/** @param {string} pool */
export function poolColour(pool) {
  return colourOf(pool, poolNames());
}

/**
 * ok / warn / bad for a pool from its backends and its last windows.
 * @param {any} pool a PoolState
 */
export function poolTone(pool) {
  const total = pool.backends?.length ?? 0;
  if (total > 0 && pool.healthyBackends === 0) return 'bad';
  const last = store.windows.at(-1)?.pools?.[pool.name];
  const errors = last && last.requests > 0 ? last.failed / last.requests : 0;
  if (errors >= 0.05) return 'bad';
  if (pool.healthyBackends < total || errors >= 0.01 || (last?.shed ?? 0) > 0) return 'warn';
  return 'ok';
}

/** @param {string} health */
export function healthBadge(health) {
  const tone = { healthy: 'ok', draining: 'info', unknown: 'muted', unhealthy: 'bad', ejected: 'bad' }[health] ?? 'muted';
  return badge(health, tone);
}

/**
 * The route's split as one horizontal bar, a segment per pool sized by its share.
 * @param {any} route a RouteState
 */
export function splitBar(route) {
  const entries = Object.entries(route.split ?? {}).map(([pool, w]) => [pool, Number(w)]);
  const total = entries.reduce((sum, [, w]) => sum + Number(w), 0);
  const label = entries.map(([pool, w]) => `${pool} ${total > 0 ? Math.round((Number(w) / total) * 1000) / 10 : 0}%`).join(', ');
  return h(
    'div',
    { class: 'split-bar', role: 'img', 'aria-label': `split of ${route.name}: ${label}`, dataset: { route: route.name, split: label } },
    entries
      .filter(([, w]) => Number(w) > 0)
      .map(([pool, w]) => {
        const share = total > 0 ? Number(w) / total : 0;
        return h(
          'span',
          {
            class: 'split-segment',
            title: `${pool}: ${percent(share)}`,
            dataset: { pool: String(pool), share: String(Math.round(share * 1000) / 10) },
            style: { 'flex-grow': String(share), background: poolColour(String(pool)) },
          },
          share >= 0.08 ? `${pool} ${Math.round(share * 100)}%` : '',
        );
      }),
  );
}

/**
 * Current load against certified capacity: the bar fills with load/capacity; the marker shows the
 * safe line (capacity divided by the required factor, 2× by default, as the migration gate uses).
 * @param {string} pool
 */
export function headroomGauge(pool) {
  const result = capacityOf(pool);
  const current = recentRate(pool);
  if (!result || typeof result.capacityRps !== 'number' || result.capacityRps <= 0) {
    return h('div', { class: 'gauge none' }, h('span', { class: 'gauge-text', text: 'no capacity result: pool never load-tested' }));
  }
  const factor = typeof result.require?.factor === 'number' ? result.require.factor : 2;
  const used = (current ?? 0) / result.capacityRps;
  const safe = 1 / factor;
  const tone = used >= 1 ? 'bad' : used >= safe ? 'warn' : 'ok';
  return h(
    'div',
    {
      class: `gauge ${tone}`,
      role: 'meter',
      'aria-valuemin': '0',
      'aria-valuemax': String(Math.round(result.capacityRps)),
      'aria-valuenow': String(Math.round(current ?? 0)),
      'aria-label': `capacity headroom of ${pool}`,
    },
    h(
      'span',
      { class: 'gauge-track' },
      h('span', { class: 'gauge-fill', style: { width: `${Math.min(100, used * 100)}%` } }),
      h('span', { class: 'gauge-safe', style: { left: `${safe * 100}%` }, title: `safe line: capacity ÷ ${factor}` }),
    ),
    h(
      'span',
      { class: 'gauge-text' },
      `${rate(current)} of ${rate(result.capacityRps)} certified (${percent(used)}) · safe ≤ ${rate(result.capacityRps * safe)}`,
    ),
  );
}

/**
 * The SLO figures the charts draw as lines, read from /api/v1/slo whatever its exact shape.
 * @returns {{ latencyMs: number | null, maxErrorRatio: number | null }}
 */
export function sloLines() {
  for (const r of sloRoutes()) {
    const o = r?.objective ?? r?.objectives ?? r?.slo ?? r;
    const latency = o?.latency?.threshold ?? o?.latencyThresholdMs ?? o?.latency?.thresholdMs;
    const availability = o?.availability ?? o?.availabilityTarget;
    if (typeof latency === 'number' || typeof availability === 'number') {
      return {
        latencyMs: typeof latency === 'number' ? latency : null,
        maxErrorRatio: typeof availability === 'number' ? 1 - availability : null,
      };
    }
  }
  return { latencyMs: null, maxErrorRatio: null };
}

/**
 * Per-route SLO status as /api/v1/slo gives it (`{ routes: RouteSloStatus[], firing, ... }`).
 * @returns {any[]}
 */
export function sloRoutes() {
  const slo = store.slo;
  if (!slo) return [];
  if (Array.isArray(slo)) return slo;
  return Array.isArray(slo.routes) ? slo.routes : [];
}
