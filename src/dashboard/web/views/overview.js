// Overview: routes with their split, the fleet's members where several data planes serve them,
// pool status cards, live rate / error / p99 charts, capacity headroom. The first screen during an
// incident: what is wrong and where, at a glance. Internal routes (an operator's, such as the
// capacity test's) are shown apart, collapsed.

import { getIncidents, getMigrations } from '../api.js';
import { badge, h, replace, table } from '../element.js';
import { clockTime, millis, percent, rate } from '../format.js';
import { LineChart } from '../line-chart.js';
import { isActive, migrationPlan, phaseOf, stepLabel } from '../migration-facts.js';
import { headroomGauge, poolColour, poolNames, poolTone, sloLines, splitBar } from '../pool-summary.js';
import { isInternal, seriesOf, sloRoutes, store, subscribe } from '../store.js';
import { fleetPanel } from './fleet-panel.js';

/** @typedef {import('../api.js').RouteState} RouteState */
/** @typedef {import('../api.js').RuleBurn} RuleBurn */
/** @typedef {import('../api.js').RouteSloStatus} RouteSloStatus */
/**
 * A row of the SLO burn table: a burn-rate rule of one of a route's SLIs, or the route's fast rule
 * (its error ratio over the last seconds, which needs no history).
 * @typedef {{ route: string, internal: boolean, historyMs: number, sli: string }
 *   & ({ burn: RuleBurn } | { fast: RouteSloStatus['fast'] })} BurnRow
 */

/**
 * @param {HTMLElement} root
 * @returns {() => void} cleanup
 */
export function mountOverview(root) {
  const active = h('div', { class: 'active-migrations' });
  const routes = h('section', { class: 'panel', 'aria-labelledby': 'routes-h' });
  const fleet = h('div', { class: 'fleet-slot' });
  const pools = h('div', { class: 'pool-cards' });
  const rateChart = new LineChart({ title: 'Request rate per pool', unit: 'rps' });
  const errorChart = new LineChart({ title: 'Error ratio per pool', unit: 'ratio', yMax: 0.01 });
  const p99Chart = new LineChart({ title: 'p99 latency per pool', unit: 'ms' });
  const gauges = h('div', { class: 'gauges' });
  const slo = h('section', { class: 'panel', 'aria-labelledby': 'slo-h' });
  replace(
    root,
    h('h1', { class: 'visually-hidden', text: 'Overview' }),
    active,
    routes,
    fleet,
    h('section', { class: 'panel', 'aria-labelledby': 'pools-h' }, h('h2', { id: 'pools-h', text: 'Pools' }), pools),
    h('section', { class: 'panel charts', 'aria-label': 'Live charts' }, rateChart.el, errorChart.el, p99Chart.el),
    h(
      'div',
      { class: 'two-col' },
      h('section', { class: 'panel', 'aria-labelledby': 'headroom-h' }, h('h2', { id: 'headroom-h', text: 'Capacity headroom' }), gauges),
      slo,
    ),
  );

  // Whether the operator opened the collapsed internal sections: kept across re-renders.
  const opened = { routes: false, slo: false };

  /**
   * A collapsed section for internal routes, staying open once opened.
   * @param {'routes' | 'slo'} which
   * @param {string} summary
   * @param {unknown} content
   */
  function internalSection(which, summary, content) {
    const details = h('details', { class: 'internal', open: opened[which] || undefined }, h('summary', { text: summary }), content);
    details.addEventListener('toggle', () => {
      opened[which] = /** @type {HTMLDetailsElement} */ (details).open;
    });
    return details;
  }

  function renderRoutes() {
    const list = store.state?.routes ?? [];
    const item = (/** @type {RouteState} */ r) =>
      h(
        'li',
        { class: 'route' },
        h(
          'div',
          { class: 'route-head' },
          h('strong', { text: r.name }),
          h('span', { class: 'muted', text: ` ${r.host === '*' ? '' : r.host}${r.pathPrefix}` }),
          isInternal(r.name) ? badge('internal', 'muted') : null,
          r.deadMan ? badge('dead-man armed', 'info') : null,
          r.failover.length ? h('span', { class: 'muted', text: ` failover → ${r.failover.join(', ')}` }) : null,
        ),
        splitBar(r),
      );
    const internal = list.filter((r) => isInternal(r.name));
    replace(
      routes,
      h('h2', { id: 'routes-h', text: 'Routes' }),
      list.length === 0
        ? h('p', { class: 'empty', text: 'No routes (waiting for /api/v1/state).' })
        : h('ul', { class: 'route-list' }, list.filter((r) => !isInternal(r.name)).map(item)),
      internal.length > 0
        ? internalSection('routes', `Internal routes (${internal.length})`, h('ul', { class: 'route-list' }, internal.map(item)))
        : null,
    );
  }

  function renderPools() {
    const list = store.state?.pools ?? [];
    const last = store.windows.at(-1);
    replace(
      pools,
      list.length === 0
        ? h('p', { class: 'empty', text: 'No pools yet.' })
        : list.map((p) => {
            const w = last?.pools?.[p.name];
            const seconds = (last?.durationMs || 1000) / 1000;
            const tone = poolTone(p);
            return h(
              'a',
              {
                class: `pool-card tone-${tone}`,
                href: `#/pools/${encodeURIComponent(p.name)}`,
                style: { 'border-top-color': poolColour(p.name) },
              },
              h(
                'span',
                { class: 'pool-name' },
                p.name,
                ' ',
                badge({ ok: 'healthy', warn: 'degraded', bad: 'failing' }[tone] ?? tone, tone),
              ),
              h(
                'span',
                { class: 'pool-figures' },
                figure('rate', rate(w ? w.requests / seconds : null)),
                figure('errors', percent(w && w.requests > 0 ? w.failed / w.requests : null)),
                figure('p99', millis(w && w.requests > 0 ? w.latency?.p99 : null)),
                figure('backends', `${p.healthyBackends}/${p.backends.length}`),
                figure('in flight', `${p.inFlight} / ${p.concurrencyLimit}`),
                figure('shed', String(w?.shed ?? 0)),
              ),
              h(
                'span',
                { class: 'backend-dots' },
                p.backends.map((b) =>
                  h('span', { class: `dot health-${b.health}`, title: `${b.name}: ${b.health}`, 'aria-label': `${b.name} ${b.health}` }),
                ),
              ),
            );
          }),
    );
  }

  function renderCharts() {
    const names = poolNames();
    const series = (/** @type {'rate' | 'errors' | 'p99'} */ key) =>
      names.map((name) => ({
        label: name,
        colour: poolColour(name),
        points: seriesOf('pools', name).map((p) => ({ x: p.t, y: p[key] })),
      }));
    rateChart.update(series('rate'));
    // Each public route's own SLO, labelled with it: pools serve several routes.
    errorChart.update(series('errors'), sloLines(names, 'errors'));
    p99Chart.update(series('p99'), sloLines(names, 'latency'));
  }

  function renderGauges() {
    replace(
      gauges,
      poolNames().map((name) => h('div', { class: 'gauge-row' }, h('span', { class: 'gauge-label', text: name }), headroomGauge(name))),
    );
  }

  /** Open incidents and running migrations on top: the first things to know during an incident. */
  async function renderActive() {
    const [incidents, migrations] = await Promise.all([
      getIncidents().then(
        (p) => p.incidents,
        () => [],
      ),
      getMigrations().then(
        (p) => p.migrations,
        () => [],
      ),
    ]);
    replace(
      active,
      incidents
        .filter((i) => i.status !== 'resolved')
        .map((i) =>
          h(
            'a',
            { class: 'banner bad', href: `#/incidents/${encodeURIComponent(i.id)}` },
            `Incident #${i.id} ${i.status}: ${i.title} · since ${clockTime(i.startedAt)}${i.mitigatedAt ? ' · mitigated' : ''}`,
          ),
        ),
      migrations.filter(isActive).map((m) => {
        const plan = migrationPlan(m);
        return h(
          'a',
          { class: `banner ${phaseOf(m) === 'running' ? 'info' : 'warn'}`, href: `#/migrations/${encodeURIComponent(m.id)}` },
          `Migration ${m.id} ${phaseOf(m).replace(/_/g, ' ')}: ${plan.route} ${plan.from} → ${plan.to} · step ${stepLabel(m)}`,
        );
      }),
    );
  }

  /**
   * Error-budget burn per route and rule, against each rule's threshold: why an alert fires, in
   * numbers. A rule whose route holds less history than its short window cannot fire yet, whatever
   * its burn: it says "warming up", not "ok".
   */
  function renderSlo() {
    const rows = sloRoutes().flatMap((r) => {
      const route = { route: r.route, internal: r.internal, historyMs: r.historyMs };
      /** @type {BurnRow[]} */
      const fast = [{ ...route, sli: 'errors', fast: r.fast }];
      return [...fast, ...Object.entries(r.sli).flatMap(([sli, rules]) => rules.map((burn) => ({ ...route, sli, burn })))];
    });
    const burnTable = (/** @type {BurnRow[]} */ list, /** @type {string} */ empty) =>
      table(
        [
          { label: 'route', cell: (b) => b.route },
          { label: 'sli', cell: (b) => b.sli },
          {
            label: 'rule',
            cell: (b) => ('fast' in b ? 'fast' : `${b.burn.rule} (${span(b.burn.longMs)}/${span(b.burn.shortMs)})`),
          },
          {
            label: 'burn long / short',
            class: 'num',
            cell: (b) =>
              'fast' in b
                ? `${percent(b.fast.errorRatio)} errors`
                : `${fmtBurn(b.burn.long)} / ${fmtBurn(b.burn.short)} (≥ ${b.burn.threshold}×)`,
          },
          { label: '', cell: ruleState },
        ],
        list,
        { empty, rowClass: (b) => (('fast' in b ? b.fast.firing : b.burn.firing) ? 'row-alert' : undefined) },
      );
    const internal = rows.filter((b) => b.internal);
    replace(
      slo,
      h('h2', { id: 'slo-h', text: 'SLO burn' }),
      burnTable(
        rows.filter((b) => !b.internal),
        'No SLO status yet.',
      ),
      internal.length > 0
        ? internalSection('slo', `Internal routes (${new Set(internal.map((b) => b.route)).size})`, burnTable(internal, ''))
        : null,
    );
  }

  /** Shown only where GET /api/v1/fleet answers: one local data plane has no fleet to show. */
  function renderFleet() {
    replace(fleet, store.fleet ? fleetPanel(store.fleet) : null);
  }

  renderRoutes();
  renderFleet();
  renderPools();
  renderSlo();
  renderCharts();
  renderGauges();
  void renderActive();
  const unsubs = [
    subscribe(['state'], () => {
      renderRoutes();
      renderPools();
      renderGauges();
    }),
    subscribe(['windows'], () => {
      renderPools();
      renderCharts();
      renderGauges();
    }),
    subscribe(['fleet'], renderFleet),
    subscribe(['capacity'], renderGauges),
    subscribe(['slo'], () => {
      // Which routes are internal, and their objectives, come with the SLO status.
      renderRoutes();
      renderCharts();
      renderSlo();
    }),
    subscribe(['events'], () => {
      if (/^(migration|incident)\./.test(store.events.at(-1)?.kind ?? '')) void renderActive();
    }),
  ];
  return () => {
    for (const u of unsubs) u();
    for (const c of [rateChart, errorChart, p99Chart]) c.close();
  };
}

/**
 * @param {string} label
 * @param {string} value
 */
function figure(label, value) {
  return h(
    'span',
    { class: 'figure' },
    h('span', { class: 'figure-label', text: label }),
    h('span', { class: 'figure-value', text: value }),
  );
}

/**
 * A rule's state: firing, still warming up (its route holds less history than the short window), or
 * ok. The fast rule pages and needs no history.
 * @param {BurnRow} b
 */
function ruleState(b) {
  if ('fast' in b) return b.fast.firing ? badge('PAGE', 'bad') : badge('ok', 'ok');
  const { firing, severity, warmingUp, shortMs } = b.burn;
  if (firing) return badge(severity === 'page' ? 'PAGE' : 'ticket', severity === 'page' ? 'bad' : 'warn');
  if (warmingUp) return badge(`warming up (${warmUp(b.historyMs, shortMs)})`, 'muted');
  return badge('ok', 'ok');
}

/**
 * History held against history needed, in the short window's unit: `2 of 5 min`, `1.5 of 6 h`.
 * @param {number} historyMs
 * @param {number} needMs
 */
function warmUp(historyMs, needMs) {
  const [unit, size] = needMs >= 3_600_000 ? ['h', 3_600_000] : ['min', 60_000];
  const held = Math.floor((historyMs / size) * (unit === 'h' ? 10 : 1)) / (unit === 'h' ? 10 : 1);
  return `${held} of ${needMs / size} ${unit}`;
}

/** @param {unknown} v */
function fmtBurn(v) {
  return typeof v === 'number' && Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)}×` : '—';
}

/**
 * An alert window as people write it: 3d, 6h, 5m, 30s.
 * @param {number} ms
 */
function span(ms) {
  for (const [unit, size] of /** @type {const} */ ([
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ]))
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}
