// Figures about pools that several views show the same way: health tone, colours, split bars,
// capacity headroom gauges.

import { badge, h } from './element.js';
import { millis, percent, rate } from './format.js';
import { colourOf, SLO_COLOUR } from './line-chart.js';
import { capacityOf, isInternal, recentRate, routeObjective, store } from './store.js';

/** @typedef {import('./api.js').PoolState} PoolState */
/** @typedef {import('./api.js').RouteState} RouteState */
/** @typedef {import('./api.js').Split} Split */

/** Sorted pool names of the current snapshot (stable colours). */
export function poolNames() {
  return (store.state?.pools ?? []).map((p) => p.name).sort();
}

/** @param {string} pool */
export function poolColour(pool) {
  return colourOf(pool, poolNames());
}

/**
 * ok / warn / bad for a pool from its backends and its last windows.
 * @param {PoolState} pool
 */
export function poolTone(pool) {
  const total = pool.backends.length;
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
 * @param {RouteState} route
 */
export function splitBar(route) {
  const entries = Object.entries(route.split);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  const label = splitLabel(route.split);
  return h(
    'div',
    { class: 'split-bar', role: 'img', 'aria-label': `split of ${route.name}: ${label}`, dataset: { route: route.name, split: label } },
    entries
      .filter(([, w]) => w > 0)
      .map(([pool, w]) => {
        const share = total > 0 ? w / total : 0;
        return h(
          'span',
          {
            class: 'split-segment',
            title: `${pool}: ${percent(share)}`,
            dataset: { pool, share: String(Math.round(share * 1000) / 10) },
            style: { 'flex-grow': String(share), background: poolColour(pool) },
          },
          share >= 0.08 ? `${pool} ${Math.round(share * 100)}%` : '',
        );
      }),
  );
}

/**
 * A split as shares, `vendor 90%, inhouse 10%`: weights are proportional, so two splits with the
 * same label send the same traffic.
 * @param {Split} split
 */
export function splitLabel(split) {
  const entries = Object.entries(split);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  return entries.map(([pool, w]) => `${pool} ${total > 0 ? Math.round((w / total) * 1000) / 10 : 0}%`).join(', ');
}

/**
 * Current load against certified capacity: the bar fills with load/capacity; the marker shows the
 * safe line (capacity divided by the required factor, 2× by default, as the migration gate uses).
 * @param {string} pool
 */
export function headroomGauge(pool) {
  const result = capacityOf(pool);
  const current = recentRate(pool);
  if (!result || result.capacityRps <= 0) {
    return h('div', { class: 'gauge none' }, h('span', { class: 'gauge-text', text: 'no capacity result: pool never load-tested' }));
  }
  const factor = result.require?.factor ?? 2;
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
 * The SLO lines of charts that show `pools`: one per distinct threshold among the routes whose
 * split or failover lists one of them (each labelled with its routes), so a pool's latency is drawn
 * against the SLO of the routes it serves, never another route's. Internal routes only when asked.
 * @param {string[]} pools
 * @param {'latency' | 'errors'} kind
 * @param {{ internal?: boolean }} [options]
 * @returns {{ value: number, label: string, colour: string }[]}
 */
export function sloLines(pools, kind, options = {}) {
  /** @type {Map<number, string[]>} */
  const byValue = new Map();
  for (const route of store.state?.routes ?? []) {
    if (isInternal(route.name) && !options.internal) continue;
    const serves = [...Object.keys(route.split), ...route.failover].some((p) => pools.includes(p));
    const objective = routeObjective(route.name);
    if (!serves || objective === null) continue;
    const value = kind === 'latency' ? objective.latencyThresholdMs : 1 - objective.availability;
    byValue.set(value, [...(byValue.get(value) ?? []), route.name]);
  }
  return [...byValue].map(([value, routes]) => ({
    value,
    label: `SLO ${routes.join(', ')} ${kind === 'latency' ? millis(value) : percent(value)}`,
    colour: SLO_COLOUR,
  }));
}
