// The evidence behind a migration's decisions, rendered: the capacity gate's figures, the judge's
// latest window (target vs source, the sequential tests), verdict badges and step states.

import { badge, facts, h } from '../element.js';
import { clockTime, dateTime, millis, percent } from '../format.js';

/**
 * How a step shows: passed, current, to come; once the migration ended, the steps it reached are
 * shown as reached (neither green nor current: an aborted move did not succeed).
 * @param {number} i
 * @param {number} at
 * @param {boolean} active
 */
export function stepClass(i, at, active) {
  if (!active) return i <= at ? 'reached' : 'todo';
  return i < at ? 'done' : i === at ? 'current' : 'todo';
}

/** @param {string} verdict */
export function verdictBadge(verdict) {
  return badge(verdict, { pass: 'ok', advance: 'ok', hold: 'warn', rollback: 'bad' }[verdict] ?? 'muted');
}

/** @param {any} g */
export function gateFacts(g) {
  if (!g) return h('p', { class: 'empty', text: 'No gate evaluation recorded.' });
  return [
    h(
      'p',
      {},
      badge(g.passed ? 'passed' : 'refused', g.passed ? 'ok' : 'bad'),
      g.reason && g.reason !== 'ok' ? ` ${String(g.reason).replace(/_/g, ' ')}` : '',
    ),
    facts(
      {
        pool: g.pool,
        share: g.share,
        projectedRps: g.projectedRps,
        basis: g.basis,
        currentRps: g.currentRps,
        peakRps: g.peakRps,
        expectedPeakRps: g.expectedPeakRps,
        capacityRps: g.capacityRps,
        allowedRps:
          g.allowedRps ?? (typeof g.capacityRps === 'number' && typeof g.headroom === 'number' ? g.capacityRps / g.headroom : undefined),
        headroom: g.headroom,
        certifiedAt: g.certifiedAt,
      },
      (key, value) =>
        key === 'certifiedAt'
          ? dateTime(/** @type {number} */ (value))
          : key === 'share'
            ? percent(/** @type {number} */ (value))
            : undefined,
    ),
    // Every check that failed, with its numbers, as the gate wrote it.
    g.refusals?.length ? h('ul', { class: 'refusals' }, ...g.refusals.map((/** @type {any} */ r) => h('li', { text: r.message }))) : null,
    g.mix ? h('p', { class: 'muted', text: mixText(g.mix) }) : null,
  ];
}

/** The request mix the certificate measured beside the route's observed traffic (shown, not judged). @param {any} mix */
function mixText(mix) {
  const certified = mix.certified
    ? mix.certified.map((/** @type {any} */ r) => `${r.method} ${r.path} ${percent(r.share)}`).join(', ')
    : 'not recorded';
  const o = mix.observed;
  const observed = o
    ? `${o.requests} requests${o.bytesInPerRequest === null ? '' : `, ${o.bytesInPerRequest} B in / ${o.bytesOutPerRequest} B out per request`}`
    : 'none recorded';
  return `Request mix certified: ${certified}. Route traffic observed: ${observed}.`;
}

/** @param {any} d */
export function judgeFacts(d) {
  if (!d) return h('p', { class: 'empty', text: 'The judge has not looked at a window yet.' });
  const row = (/** @type {string} */ name, /** @type {any} */ s) =>
    s
      ? h(
          'tr',
          {},
          h('th', { scope: 'row', text: name }),
          h('td', { text: String(s.requests ?? '—') }),
          h('td', { text: String(s.failed ?? '—') }),
          h('td', { text: percent(s.errorRatio) }),
          h('td', { text: millis(s.p99Ms) }),
          h('td', { text: String(s.slow ?? '—') }),
        )
      : null;
  // The sequential tests side by side: what each compares, how far apart, and whether it rejected.
  const tests = [
    ['errors', d.errors],
    ['latency (slow share)', d.latency],
  ].filter(([, r]) => r && typeof r === 'object');
  const known = ['targetSamples', 'targetFailures', 'sourceSamples', 'sourceFailures', 'difference', 'pValue', 'alpha', 'rejected'];
  const msprt = tests.length
    ? h(
        'div',
        { class: 'table-wrap msprt' },
        h(
          'table',
          {},
          h('caption', { text: 'Sequential tests (mSPRT), valid at every look' }),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['test', 'target fail/n', 'source fail/n', 'difference', 'p value', 'alpha', ''].map((t) =>
                h('th', { scope: 'col', text: t }),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            tests.map(([name, r]) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row', text: String(name) }),
                h('td', { text: `${r.targetFailures ?? '—'}/${r.targetSamples ?? '—'}` }),
                h('td', { text: `${r.sourceFailures ?? '—'}/${r.sourceSamples ?? '—'}` }),
                h('td', { text: typeof r.difference === 'number' ? percent(r.difference) : '—' }),
                h('td', { text: typeof r.pValue === 'number' ? r.pValue.toPrecision(3) : '—' }),
                h('td', { text: typeof r.alpha === 'number' ? r.alpha.toPrecision(3) : '—' }),
                h('td', {}, r.rejected ? badge('rejected', 'bad') : badge('holds', 'ok')),
              ),
            ),
          ),
        ),
        // Any other figure the judge reports is still shown, not silently dropped.
        tests.map(([name, r]) => {
          const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !known.includes(k)));
          return Object.keys(extra).length ? h('details', {}, h('summary', { text: `more on ${name}` }), facts(extra)) : null;
        }),
      )
    : null;
  return [
    h(
      'p',
      {},
      verdictBadge(d.verdict ?? '?'),
      d.hard ? badge('hard guard', 'bad') : null,
      ` ${(d.reasons ?? []).join(', ')} · window ${clockTime(d.windowStart)}`,
    ),
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
            ['', 'requests', 'failed', 'error ratio', 'p99', 'slow'].map((t) => h('th', { scope: 'col', text: t })),
          ),
        ),
        h('tbody', {}, row('target', d.target), row('source', d.source)),
      ),
    ),
    msprt,
    d.thresholds ? h('details', {}, h('summary', { text: 'Thresholds' }), facts(d.thresholds)) : null,
  ];
}
