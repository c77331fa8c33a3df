// One pool: its backends (health and why, ejections, in-flight, drain/undrain) and how its latency
// distribution (against the SLO of each route it serves) and each backend's rate moved over the
// last minutes.

import { post, session } from '../api.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replace, table } from '../element.js';
import { clockTime, rate } from '../format.js';
import { colourOf, LineChart } from '../line-chart.js';
import { headroomGauge, healthBadge, poolTone, sloLines } from '../pool-summary.js';
import { refreshState, seriesOf, store, subscribe } from '../store.js';

/** @typedef {import('../api.js').BackendState} BackendState */

/**
 * @param {HTMLElement} root
 * @param {string} name
 * @returns {() => void}
 */
export function mountPool(root, name) {
  const head = h('div', { class: 'detail-head' });
  const backends = h('section', { class: 'panel', 'aria-labelledby': 'backends-h' });
  const latency = new LineChart({ title: 'Latency distribution', unit: 'ms' });
  const perBackendRate = new LineChart({ title: 'Rate per backend', unit: 'rps' });
  const perBackendErrors = new LineChart({ title: 'Error ratio per backend', unit: 'ratio', yMax: 0.01 });
  const inFlight = new LineChart({ title: 'In flight', unit: 'count', yMax: 4 });
  const message = h('div', { role: 'status', 'aria-live': 'polite' });
  replace(
    root,
    head,
    message,
    backends,
    h('section', { class: 'panel charts' }, latency.el, perBackendRate.el, perBackendErrors.el, inFlight.el),
  );

  const pool = () => store.state?.pools.find((p) => p.name === name);

  function renderState() {
    const p = pool();
    if (!p) {
      replace(head, h('h1', { text: `Pool ${name}` }), h('p', { class: 'error', text: 'No such pool in the current state.' }));
      return;
    }
    const tone = poolTone(p);
    replace(
      head,
      h(
        'h1',
        {},
        `Pool ${name} `,
        h('span', { class: `badge ${tone}`, text: { ok: 'healthy', warn: 'degraded', bad: 'failing' }[tone] ?? tone }),
      ),
      h('p', {
        class: 'muted',
        text: `${p.healthyBackends}/${p.backends.length} healthy · in flight ${p.inFlight} · limit ${p.concurrencyLimit} · queued ${p.queued}`,
      }),
      headroomGauge(name),
    );
    const last = store.windows.at(-1);
    replace(
      backends,
      h('h2', { id: 'backends-h', text: 'Backends' }),
      table(
        [
          {
            label: 'backend',
            cell: (b) => h('span', {}, h('strong', { text: b.name }), h('br'), h('small', { class: 'muted', text: b.url })),
          },
          { label: 'health', cell: (b) => healthBadge(b.health) },
          { label: 'why', cell: (b) => b.reason ?? '—' },
          { label: 'weight', cell: (b) => b.weight, class: 'num' },
          { label: 'in flight', cell: (b) => b.inFlight, class: 'num' },
          { label: 'rate', cell: (b) => rate(last?.backends?.[`${name}/${b.name}`]?.requests ?? null), class: 'num' },
          { label: 'ejections', cell: (b) => b.ejections, class: 'num' },
          { label: 'ejected until', cell: (b) => (b.ejectedUntil ? clockTime(b.ejectedUntil) : '—') },
          ...(session.role === 'admin'
            ? [
                {
                  label: 'action',
                  cell: (/** @type {BackendState} */ b) =>
                    b.health === 'draining'
                      ? h('button', { type: 'button', class: 'secondary small', onclick: () => drain(b.name, 'undrain') }, 'Undrain')
                      : h('button', { type: 'button', class: 'secondary small', onclick: () => drain(b.name, 'drain') }, 'Drain'),
                },
              ]
            : []),
        ],
        p.backends,
        { rowClass: (b) => (b.health === 'healthy' ? undefined : 'row-alert') },
      ),
    );
  }

  /**
   * @param {string} backend
   * @param {'drain' | 'undrain'} verb
   */
  async function drain(backend, verb) {
    const ok = await confirmAction({
      title: `${verb} ${name}/${backend}`,
      message: verb === 'drain' ? 'Stop sending new requests to this backend?' : 'Send traffic to this backend again?',
      confirm: verb,
    });
    if (!ok) return;
    try {
      await post(`/api/v1/pools/${encodeURIComponent(name)}/backends/${encodeURIComponent(backend)}/${verb}`, { actor: 'dashboard' });
      await refreshState();
    } catch (err) {
      replace(message, h('p', { class: 'banner bad', text: `${verb} refused: ${/** @type {Error} */ (err).message}` }));
    }
  }

  function renderCharts() {
    const s = seriesOf('pools', name);
    latency.update(
      [
        { label: 'p50', colour: '#7ee787', points: s.map((p) => ({ x: p.t, y: p.p50 })) },
        { label: 'p90', colour: '#e3b341', points: s.map((p) => ({ x: p.t, y: p.p90 })) },
        { label: 'p99', colour: '#ff7b72', points: s.map((p) => ({ x: p.t, y: p.p99 })) },
        { label: 'max', colour: '#95a3b5', dashed: true, points: s.map((p) => ({ x: p.t, y: p.max })) },
      ],
      // The pool's own routes, internal ones too (a capacity test's route is judged against its SLO).
      sloLines([name], 'latency', { internal: true }),
    );
    const names = (pool()?.backends ?? []).map((b) => b.name).sort();
    const per = (/** @type {'rate' | 'errors'} */ key) =>
      names.map((b) => ({
        label: b,
        colour: colourOf(b, names),
        points: seriesOf('backends', `${name}/${b}`).map((p) => ({ x: p.t, y: p[key] })),
      }));
    perBackendRate.update(per('rate'));
    perBackendErrors.update(per('errors'), sloLines([name], 'errors', { internal: true }));
    inFlight.update([{ label: 'in flight', colour: '#58a6ff', points: s.map((p) => ({ x: p.t, y: p.inFlight })) }]);
  }

  renderState();
  renderCharts();
  const unsubs = [subscribe(['state'], renderState), subscribe(['windows', 'slo'], renderCharts)];
  return () => {
    for (const u of unsubs) u();
    for (const c of [latency, perBackendRate, perBackendErrors, inFlight]) c.close();
  };
}
