// The evidence behind a migration's decisions, rendered: the capacity gate's evaluations, the
// judge's last window (target vs source, the sequential tests) or the fast path's look at the open
// window, the decisions the journal kept, verdict badges and step states. All of it comes from the
// journal through the rollout API, so an ended migration shows it as a running one does.

import { badge, facts, h, table } from '../element.js';
import { clockTime, dateTime, millis, percent, rate } from '../format.js';

/** @typedef {import('../api.js').GateResult} GateResult */
/** @typedef {import('../api.js').GateEvaluation} GateEvaluation */
/** @typedef {import('../api.js').DecisionView} DecisionView */
/** @typedef {import('../api.js').JudgeDecision} JudgeDecision */
/** @typedef {import('../api.js').SideFigures} SideFigures */
/** @typedef {import('../api.js').RelativeLatencyResult} RelativeLatencyResult */
/** @typedef {import('../api.js').FastPathCheck} FastPathCheck */
/** @typedef {import('../api.js').GateOccasion} GateOccasion */
/** @typedef {import('../api.js').DecisionRecorded} DecisionRecorded */

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

/** @param {GateResult | null} g */
export function gateFacts(g) {
  if (!g) return h('p', { class: 'empty', text: 'No gate evaluation recorded for this migration.' });
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
      // Rates as the tables show them (28.3/s, not 28.285): the gate keeps every digit, people read three.
      (key, value) =>
        key === 'certifiedAt'
          ? dateTime(/** @type {number} */ (value))
          : key === 'share'
            ? percent(/** @type {number} */ (value))
            : key.endsWith('Rps') && value !== null
              ? rate(/** @type {number} */ (value))
              : key === 'headroom'
                ? `${value}×`
                : undefined,
    ),
    // Every check that failed, with its numbers, as the gate wrote it.
    g.refusals.length ? h('ul', { class: 'refusals' }, ...g.refusals.map((r) => h('li', { text: r.message }))) : null,
    g.mix ? h('p', { class: 'muted gate-mix', text: mixText(g.mix) }) : null,
  ];
}

/** The request mix the certificate measured beside the route's observed traffic (shown, not judged). @param {GateResult['mix']} mix */
function mixText(mix) {
  const certified = mix.certified ? mix.certified.map((r) => `${r.method} ${r.path} ${percent(r.share)}`).join(', ') : 'not recorded';
  const o = mix.observed;
  const observed = o
    ? `${o.requests} requests${o.bytesInPerRequest === null ? '' : `, ${o.bytesInPerRequest} B in / ${o.bytesOutPerRequest} B out per request`}`
    : 'none recorded';
  return `Request mix certified: ${certified}. Route traffic observed: ${observed}.`;
}

/**
 * The judge's window: both sides, the sequential tests, the thresholds.
 * @param {JudgeDecision | null} d
 */
export function judgeFacts(d) {
  if (!d) return h('p', { class: 'empty', text: 'The judge has not looked at a window of this migration.' });
  const row = (/** @type {string} */ name, /** @type {SideFigures} */ s) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row', text: name }),
      h('td', { text: String(s.requests) }),
      h('td', { text: String(s.failed) }),
      h('td', { text: percent(s.errorRatio) }),
      h('td', { text: millis(s.p99Ms) }),
      h('td', { text: String(s.slow) }),
    );
  // The sequential tests side by side: what each compares, how far apart, and whether it rejected.
  const tests = /** @type {const} */ ([
    ['errors', d.errors],
    ['latency (slow share)', d.latency],
  ]);
  // A journal written before the judge compared latency with the source has no relative tests.
  const relative = d.relativeLatency ?? [];
  const known = ['targetSamples', 'targetFailures', 'sourceSamples', 'sourceFailures', 'difference', 'pValue', 'alpha', 'rejected'];
  const msprt = h(
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
          ['test', 'target count/n', 'source', 'observed', 'p value', 'alpha', ''].map((t) => h('th', { scope: 'col', text: t })),
        ),
      ),
      h(
        'tbody',
        {},
        tests.map(([name, r]) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', text: name }),
            h('td', { text: `${r.targetFailures}/${r.targetSamples}` }),
            h('td', { text: `${r.sourceFailures}/${r.sourceSamples}` }),
            h('td', { text: percent(r.difference) }),
            h('td', { text: r.pValue.toPrecision(3) }),
            h('td', { text: r.alpha.toPrecision(3) }),
            h('td', {}, r.rejected ? badge('rejected', 'bad') : badge('holds', 'ok')),
          ),
        ),
        relative.map(relativeRow),
      ),
    ),
    // Any other figure the judge reports is still shown, not silently dropped.
    tests.map(([name, r]) => {
      const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !known.includes(k)));
      return Object.keys(extra).length ? h('details', {}, h('summary', { text: `more on ${name}` }), facts(extra)) : null;
    }),
  );
  return [
    h(
      'p',
      {},
      verdictBadge(d.verdict),
      d.hard ? badge('hard guard', 'bad') : null,
      ` ${d.reasons.map(words).join(', ') || 'no rule fired'} · window from ${clockTime(d.windowStart)}`,
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
    h('details', {}, h('summary', { text: 'Thresholds' }), facts(d.thresholds)),
  ];
}

/**
 * One relative latency test as a row of the sequential tests: the target's requests slower than
 * the source's percentile over the step, against the share tolerated.
 * @param {RelativeLatencyResult} r
 */
function relativeRow(r) {
  const compared = r.sourceMs > 0;
  return h(
    'tr',
    {},
    h('th', { scope: 'row', text: `latency vs ${r.sourcePool} p${r.percentile}` }),
    // Requests the target's limiter turned away count as slower: say how many, or the count reads as the target's own answers.
    h('td', {
      text: `${r.targetSlower}/${r.targetSamples} slower${r.targetRefused ? `, ${r.targetRefused} of them refused by its limiter` : ''}`,
    }),
    h('td', { text: compared ? `p${r.percentile} ${millis(r.sourceMs)} of ${r.sourceSamples}` : `${r.sourceSamples} requests, too few` }),
    h('td', { text: compared ? `${percent(r.share)} (tolerated ${percent(r.bound)})` : '—' }),
    h('td', { text: r.pValue.toPrecision(3) }),
    h('td', { text: r.alpha.toPrecision(3) }),
    h('td', {}, r.rejected ? badge('rejected', 'bad') : badge('holds', 'ok')),
  );
}

/**
 * The fast path's look at the window still open: the counts it rolled back on.
 * @param {FastPathCheck} f
 */
export function fastPathFacts(f) {
  const c = f.counts;
  return h(
    'p',
    { class: 'fast-path' },
    verdictBadge('rollback'),
    badge('fast path', 'bad'),
    ` ${f.rules.map(words).join(', ')}: ${c.failed} of ${c.requests} requests to ${f.pool} failed, ${c.connectFailures} connection failures, ` +
      `in the window open since ${clockTime(f.windowStart)} (read at ${clockTime(f.checkedAt)}; ` +
      `thresholds ${percent(f.thresholds.maxErrorRatio)} and ${f.thresholds.hardMinFailures} failures)`,
  );
}

/**
 * Every gate evaluation the journal holds, newest first.
 * @param {GateEvaluation[]} gates oldest first
 */
export function gateHistory(gates) {
  return table(
    [
      { label: 'time', cell: (e) => clockTime(e.time), class: 'nowrap' },
      { label: 'when', cell: (e) => GATE_OCCASIONS[e.occasion] },
      { label: 'share', cell: (e) => percent(e.gate.share), class: 'num' },
      { label: 'projected', cell: (e) => rate(e.gate.projectedRps), class: 'num' },
      { label: 'allowed', cell: (e) => rate(e.gate.allowedRps), class: 'num' },
      { label: '', cell: (e) => badge(e.gate.passed ? 'passed' : 'refused', e.gate.passed ? 'ok' : 'bad') },
    ],
    [...gates].reverse(),
    { caption: 'Evaluations', empty: 'No gate evaluation recorded for this migration.' },
  );
}

/**
 * The decisions the journal kept (and, while it runs, those only in the controller's memory), newest first.
 * @param {DecisionView[]} decisions oldest first
 */
export function decisionTable(decisions) {
  return table(
    [
      { label: 'time', cell: (d) => clockTime(d.time), class: 'nowrap' },
      { label: 'on target', cell: (d) => `${d.targetPercent}%`, class: 'num' },
      {
        label: 'decision',
        // The action only where it adds to the verdict (a pass that backed off, a rollback verdict acted on by a hold…).
        cell: (d) => [
          verdictBadge(d.verdict),
          d.action === 'none' || d.action === d.verdict ? null : ` ${d.action}`,
          d.fastPath ? ' fast path' : null,
        ],
      },
      { label: 'reasons', cell: (d) => (d.judge ? d.judge.reasons : (d.fastPath?.rules ?? [])).map(words).join(', ') || '—' },
      { label: 'target failed / requests', cell: (d) => sideText(d.judge?.target ?? openCounts(d.fastPath)) },
      { label: 'source failed / requests', cell: (d) => sideText(d.judge?.source ?? null) },
      // A journal written before decisions were bounded kept every window, and says no reason.
      { label: 'kept because', cell: (d) => (d.journaled ? (d.recorded ? RECORDED[d.recorded] : 'every window') : 'live (not journaled)') },
    ],
    [...decisions].reverse(),
    { empty: 'No decision recorded for this migration.' },
  );
}

/** Why the gate was evaluated. @type {Record<GateOccasion, string>} */
const GATE_OCCASIONS = {
  start: 'start',
  override: 'overridden',
  refusal: 'refused',
  step: 'step',
  recheck: 're-check',
};

/** Why a decision is in the journal (docs/rollout.md, "Evidence"). @type {Record<DecisionRecorded, string>} */
const RECORDED = {
  acted: 'it acted',
  verdict_changed: 'verdict changed',
  gate_changed: 'gate changed',
  step_end: 'step ended on it',
  before_rollback: 'minute before the rollback',
};

/** @param {string} word a rule name such as `error_ratio` */
function words(word) {
  return word.replace(/_/g, ' ');
}

/** @param {{ requests: number, failed: number, p99Ms?: number } | null} side a judged side, or the fast path's open counts */
function sideText(side) {
  if (!side) return '—';
  const p99 = side.p99Ms !== undefined && side.requests > 0 ? ` · p99 ${millis(side.p99Ms)}` : '';
  return `${side.failed} / ${side.requests} (${percent(side.requests > 0 ? side.failed / side.requests : null)})${p99}`;
}

/** @param {FastPathCheck | null} f */
function openCounts(f) {
  return f ? { requests: f.counts.requests, failed: f.counts.failed } : null;
}
