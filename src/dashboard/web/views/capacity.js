// Capacity results: each test's curve (offered rate against p99 and errors, with the SLO line)
// and its verdict, newest first.

import { badge, facts, h, replace } from '../element.js';
import { dateTime, millis, percent, rate } from '../format.js';
import { LineChart } from '../line-chart.js';
import { store, subscribe } from '../store.js';

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function mountCapacity(root) {
  const list = h('div', { class: 'capacity-list' });
  replace(root, h('h1', { text: 'Capacity results' }), list);
  /** @type {LineChart[]} */
  let charts = [];

  function render() {
    for (const c of charts) c.close();
    charts = [];
    if (store.capacity.length === 0) {
      replace(
        list,
        h('p', { class: 'empty', text: 'No capacity results recorded. Run `piper capacity URL --control-plane …` against a pool.' }),
      );
      return;
    }
    replace(
      list,
      store.capacity.map((r) => {
        const trials = [...(r.trials ?? [])].sort((a, b) => a.rateRps - b.rateRps);
        const p99 = new LineChart({ title: 'p99 by offered rate', unit: 'ms', xUnit: 'rps', points: true });
        const errors = new LineChart({ title: 'Error ratio by offered rate', unit: 'ratio', xUnit: 'rps', points: true });
        p99.update(
          [{ label: 'p99', colour: '#58a6ff', points: trials.map((t) => ({ x: t.rateRps, y: t.p99Ms })) }],
          r.slo ? [{ value: r.slo.p99Ms, label: `SLO p99 < ${millis(r.slo.p99Ms)}`, colour: '#f85149' }] : [],
        );
        errors.update(
          [{ label: 'errors', colour: '#e3b341', points: trials.map((t) => ({ x: t.rateRps, y: t.errorRatio })) }],
          r.slo ? [{ value: r.slo.maxErrorRatio, label: `SLO errors < ${percent(r.slo.maxErrorRatio)}`, colour: '#f85149' }] : [],
        );
        charts.push(p99, errors);
        const req = r.require;
        return h(
          'section',
          { class: 'panel capacity', 'aria-label': `capacity of ${r.pool ?? r.subject}` },
          h(
            'h2',
            {},
            `${r.pool ?? r.subject} `,
            h('span', { class: 'big', text: rate(r.capacityRps) }),
            ' ',
            // The requirement beside the verdict: "FAILED" alone does not say how far short it fell.
            req
              ? badge(
                  `${req.passed ? 'passed' : 'FAILED'}: needs ${rate(req.factor * req.peakRps)} (${req.factor}× peak ${rate(req.peakRps)})`,
                  req.passed ? 'ok' : 'bad',
                )
              : badge('certified', 'info'),
          ),
          h('p', {
            class: 'muted',
            text: `${r.target ?? ''} · certified ${dateTime(r.certifiedAt)} · confidence ${percent(r.confidence)}`,
          }),
          h('div', { class: 'charts two' }, p99.el, errors.el),
          h(
            'details',
            {},
            h('summary', { text: `${trials.length} trials` }),
            h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                {},
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ['offered', 'achieved', 'p99', 'errors', 'verdict'].map((t) => h('th', { scope: 'col', text: t })),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  trials.map((t) =>
                    h(
                      'tr',
                      {},
                      h('td', { text: rate(t.rateRps) }),
                      h('td', { text: rate(t.achievedRps) }),
                      h('td', { text: millis(t.p99Ms) }),
                      h('td', { text: percent(t.errorRatio) }),
                      h('td', {}, badge(t.verdict, t.verdict === 'pass' ? 'ok' : 'bad')),
                    ),
                  ),
                ),
              ),
            ),
            req ? facts(req) : null,
          ),
        );
      }),
    );
  }
  render();
  const unsub = subscribe(['capacity'], render);
  return () => {
    unsub();
    for (const c of charts) c.close();
  };
}
