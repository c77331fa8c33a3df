// Migrations: the list, a start form, and one migration live (plan and steps, gate figures, the
// judge's statistics, decisions) with promote / pause / resume / abort behind a confirmation.

import { get, listOf, post, session } from '../api.js';
import { confirmAction } from '../confirm-dialog.js';
import { facts, h, replace, table } from '../element.js';
import { kindBadge } from '../event-summary.js';
import { clockTime, dateTime, duration, millis, percent } from '../format.js';
import { LineChart } from '../line-chart.js';
import { isActive, migrationPlan, phaseBadge, phaseOf, stepIndexOf, stepLabel } from '../migration-facts.js';
import { poolColour } from '../pool-summary.js';
import { seriesOf, store, subscribe } from '../store.js';
import { gateFacts, judgeFacts, stepClass, verdictBadge } from './migration-evidence.js';

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function mountMigrationList(root) {
  const list = h('section', { class: 'panel', 'aria-labelledby': 'mig-h' });
  const form = session.role === 'admin' ? startForm() : null;
  replace(root, h('h1', { text: 'Migrations' }), form, list);

  async function render() {
    try {
      const items = listOf(await get('/api/v1/migrations'), 'migrations');
      replace(
        list,
        h('h2', { id: 'mig-h', text: 'All migrations' }),
        table(
          [
            { label: 'id', cell: (m) => h('a', { href: `#/migrations/${encodeURIComponent(m.id)}`, text: m.id }) },
            { label: 'route', cell: (m) => migrationPlan(m).route },
            { label: 'from → to', cell: (m) => `${migrationPlan(m).from} → ${migrationPlan(m).to}` },
            { label: 'phase', cell: (m) => phaseBadge(m) },
            { label: 'step', cell: (m) => stepLabel(m) },
            { label: 'started', cell: (m) => dateTime(m.createdAt) },
          ],
          items,
          { empty: 'No migrations yet.' },
        ),
      );
    } catch (err) {
      replace(list, h('p', { class: 'error', text: `Could not load migrations: ${/** @type {Error} */ (err).message}` }));
    }
  }
  void render();
  const unsub = subscribe(['events'], () => {
    if (store.events.at(-1)?.kind?.startsWith('migration.')) void render();
  });
  return unsub;
}

/** The start form: the gate's refusal (409) is shown with its numbers, never hidden. */
function startForm() {
  const routes = (store.state?.routes ?? []).map((/** @type {any} */ r) => r.name);
  const pools = (store.state?.pools ?? []).map((/** @type {any} */ p) => p.name);
  const result = h('div', { class: 'form-result', role: 'status', 'aria-live': 'polite' });
  const field = (/** @type {string} */ label, /** @type {HTMLElement} */ input, /** @type {string} */ hint = '') =>
    h('label', { class: 'field' }, h('span', { text: label }), input, hint ? h('small', { class: 'muted', text: hint }) : null);
  const select = (/** @type {string} */ name, /** @type {string[]} */ options, /** @type {boolean} */ optional = false) =>
    h(
      'select',
      { name },
      optional ? h('option', { value: '', text: '(current main pool)' }) : null,
      options.map((o) => h('option', { value: o, text: o })),
    );
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'panel start-form', 'aria-labelledby': 'start-h' },
      h('h2', { id: 'start-h', text: 'Start a migration' }),
      h(
        'div',
        { class: 'fields' },
        field('Route', select('route', routes)),
        field('To pool', select('to', pools)),
        field('From pool', select('from', pools, true)),
        field('Steps (%)', h('input', { name: 'steps', placeholder: '1,5,10,25,50,100', inputmode: 'numeric' }), 'blank: piper.yaml'),
        field('Step duration', h('input', { name: 'stepDuration', placeholder: '60s' }), 'e.g. 30s, 2m'),
        field('Headroom ×', h('input', { name: 'headroom', placeholder: '2', inputmode: 'decimal' })),
        field('Override capacity gate', h('input', { name: 'override', placeholder: 'reason (leave blank to obey the gate)' })),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Start migration'),
      result,
    )
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const value = (/** @type {string} */ k) => String(data.get(k) ?? '').trim();
    /** @type {Record<string, unknown>} */
    const body = { route: value('route'), to: value('to'), actor: 'dashboard' };
    if (value('from')) body.from = value('from');
    if (value('steps'))
      body.steps = value('steps')
        .split(/[,\s]+/)
        .filter(Boolean)
        .map(Number);
    if (value('stepDuration'))
      body.stepDuration = /^\d+$/.test(value('stepDuration')) ? Number(value('stepDuration')) : value('stepDuration');
    if (value('headroom')) body.headroom = Number(value('headroom'));
    if (value('override')) body.overrideCapacityGate = value('override');
    const ok = await confirmAction({
      title: 'Start migration',
      message: `Move route ${body.route} to pool ${body.to} in steps${body.overrideCapacityGate ? ', OVERRIDING the capacity gate' : ''}?`,
      confirm: 'Start',
      danger: Boolean(body.overrideCapacityGate),
    });
    if (!ok) return;
    try {
      const m = await post('/api/v1/migrations', body);
      replace(result, h('p', {}, 'Started ', h('a', { href: `#/migrations/${encodeURIComponent(m.id)}`, text: m.id })));
      location.hash = `#/migrations/${encodeURIComponent(m.id)}`;
    } catch (err) {
      const error = /** @type {import('../api.js').ApiError} */ (err);
      const details = error.body && typeof error.body === 'object' ? { ...error.body, error: undefined } : null;
      replace(
        result,
        h('p', {
          class: 'error',
          text: `${error.status === 409 ? 'Refused by the capacity gate' : 'Refused'}: ${error.message} (${error.code})`,
        }),
        details && Object.values(details).some((v) => v !== undefined) ? (details.gate ? gateFacts(details.gate) : facts(details)) : null,
      );
    }
  });
  return form;
}

/**
 * @param {HTMLElement} root
 * @param {string} id
 * @returns {() => void}
 */
export function mountMigration(root, id) {
  const head = h('div', { class: 'detail-head' });
  const steps = h('section', { class: 'panel', 'aria-labelledby': 'steps-h' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Migration actions' });
  const gate = h('section', { class: 'panel', 'aria-labelledby': 'gate-h' });
  const judge = h('section', { class: 'panel', 'aria-labelledby': 'judge-h' });
  const decisions = h('section', { class: 'panel', 'aria-labelledby': 'decisions-h' });
  const history = h('section', { class: 'panel', 'aria-labelledby': 'history-h' });
  const errorChart = new LineChart({ title: 'Error ratio: source vs target', format: percent, yMax: 0.01 });
  const p99Chart = new LineChart({ title: 'p99: source vs target', format: millis });
  const message = h('div', { role: 'status', 'aria-live': 'polite' });
  replace(
    root,
    head,
    message,
    actions,
    steps,
    h('div', { class: 'two-col' }, gate, judge),
    h('section', { class: 'panel charts two', 'aria-label': 'Source and target live' }, errorChart.el, p99Chart.el),
    h('div', { class: 'two-col' }, decisions, history),
  );
  /** @type {any} */
  let current = null;
  let busy = false;

  async function load() {
    try {
      current = await get(`/api/v1/migrations/${encodeURIComponent(id)}`);
      render();
    } catch (err) {
      replace(head, h('h1', { text: `Migration ${id}` }), h('p', { class: 'error', text: /** @type {Error} */ (err).message }));
    }
  }

  function render() {
    const m = current;
    const plan = migrationPlan(m);
    replace(
      head,
      h('h1', {}, `Migration ${m.id} `, phaseBadge(m)),
      h(
        'p',
        { class: 'muted' },
        `route ${plan.route}: ${plan.from} → ${plan.to} · started ${dateTime(m.createdAt)} by ${m.actor ?? '?'}`,
        m.endedAt ? ` · ended ${dateTime(m.endedAt)}` : '',
      ),
      m.override ? h('p', { class: 'banner warn', text: `Capacity gate overridden by ${m.override.actor}: ${m.override.reason}` }) : null,
      m.hold
        ? h('p', { class: 'banner warn', text: `Holding since ${clockTime(m.hold.since)} (${m.hold.reason}): ${m.hold.detail}` })
        : null,
      m.paused
        ? h('p', { class: 'banner warn', text: `Paused by ${m.paused.actor} at ${clockTime(m.paused.at)}: ${m.paused.reason}` })
        : null,
      m.rollback
        ? h('p', {
            class: 'banner bad',
            text: `${m.rollback.endPhase === 'aborted' ? 'Aborted' : m.rollback.hard ? 'Hard rollback' : 'Rolled back'} by ${m.rollback.actor} at ${clockTime(m.rollback.startedAt)}: ${m.rollback.reason}`,
          })
        : null,
    );
    renderSteps(m, plan);
    renderActions(m);
    replace(gate, h('h2', { id: 'gate-h', text: 'Capacity gate' }), gateFacts(m.gate ?? m.lastGate));
    replace(
      judge,
      h('h2', { id: 'judge-h', text: 'Judge (latest window)' }),
      judgeFacts(m.judge ?? m.lastDecision ?? (m.recentDecisions ?? m.decisions)?.at?.(-1)),
    );
    const decided = m.recentDecisions ?? m.decisions;
    const list = Array.isArray(decided) ? [...decided].reverse().slice(0, 30) : [];
    replace(
      decisions,
      h('h2', { id: 'decisions-h', text: 'Decisions' }),
      table(
        [
          { label: 'time', cell: (d) => clockTime(d.time ?? d.windowStart ?? d.at) },
          { label: 'decision', cell: (d) => verdictBadge(d.verdict ?? d.decision ?? d.kind ?? '?') },
          { label: 'reasons', cell: (d) => (d.reasons ?? [d.reason]).filter(Boolean).join(', ') || '—' },
          { label: 'target err / p99', cell: (d) => (d.target ? `${percent(d.target.errorRatio)} / ${millis(d.target.p99Ms)}` : '—') },
          { label: 'source err / p99', cell: (d) => (d.source ? `${percent(d.source.errorRatio)} / ${millis(d.source.p99Ms)}` : '—') },
        ],
        list,
        { empty: 'No decisions yet.' },
      ),
    );
    replace(
      history,
      h('h2', { id: 'history-h', text: 'History' }),
      table(
        [
          { label: 'time', cell: (e) => clockTime(e.time), class: 'nowrap' },
          { label: 'kind', cell: (e) => kindBadge(e.kind) },
          { label: 'what', cell: (e) => e.summary },
          { label: 'by', cell: (e) => e.actor },
        ],
        Array.isArray(m.events) ? [...m.events].reverse() : [],
        { empty: 'No events recorded for this migration.' },
      ),
    );
    renderCharts();
  }

  function renderSteps(/** @type {any} */ m, /** @type {ReturnType<typeof migrationPlan>} */ plan) {
    const at = stepIndexOf(m);
    const elapsed = typeof m.stepStartedAt === 'number' && isActive(m) ? Date.now() - m.stepStartedAt : null;
    replace(
      steps,
      h('h2', { id: 'steps-h', text: 'Plan' }),
      h(
        'ol',
        { class: 'stepper' },
        plan.steps.map((pct, i) =>
          h(
            'li',
            { class: stepClass(i, at, isActive(m)), 'aria-current': i === at && isActive(m) ? 'step' : undefined },
            h('span', { class: 'step-pct', text: `${pct}%` }),
          ),
        ),
      ),
      h(
        'p',
        { class: 'muted' },
        `${m.targetPercent ?? 0}% on ${plan.to} now · step ${at + 1} of ${plan.steps.length}`,
        plan.stepDurationMs ? ` · each step ${duration(plan.stepDurationMs)}` : '',
        elapsed !== null && elapsed >= 0 ? ` · this step for ${duration(elapsed)}` : '',
        plan.headroom ? ` · headroom ${plan.headroom}×` : '',
      ),
    );
  }

  function renderActions(/** @type {any} */ m) {
    if (session.role !== 'admin' || !isActive(m)) {
      replace(actions);
      return;
    }
    const phase = phaseOf(m);
    const button = (/** @type {string} */ label, /** @type {string} */ cls, /** @type {() => Promise<void>} */ run) =>
      h('button', { type: 'button', class: cls, disabled: busy ? true : undefined, onclick: run }, label);
    replace(
      actions,
      phase === 'running'
        ? button('Promote next step', 'primary', () => act('promote', { all: false }, 'Promote to the next step?', false))
        : null,
      phase === 'running'
        ? button('Promote all the way', 'secondary', () =>
            act('promote', { all: true }, 'Send 100% of the route to the target now?', false),
          )
        : null,
      phase === 'running' ? button('Pause', 'secondary', () => act('pause', {}, 'Pause the migration at its current step?', true)) : null,
      phase === 'paused' ? button('Resume', 'primary', () => act('resume', {}, 'Resume stepping?', true)) : null,
      button('Abort and roll back', 'danger', () => act('abort', {}, `Abort: all traffic goes back to ${migrationPlan(m).from}.`, true)),
    );
  }

  /**
   * @param {string} verb
   * @param {Record<string, unknown>} body
   * @param {string} question
   * @param {boolean} needsReason
   */
  async function act(verb, body, question, needsReason) {
    const ok = await confirmAction({
      title: `${verb[0]?.toUpperCase()}${verb.slice(1)} migration ${id}`,
      message: question,
      confirm: verb,
      danger: verb === 'abort',
      reason: needsReason,
    });
    if (!ok) return;
    busy = true;
    try {
      await post(`/api/v1/migrations/${encodeURIComponent(id)}/${verb}`, {
        ...body,
        reason: ok.reason || `${verb} from the dashboard`,
        actor: 'dashboard',
      });
      replace(message, h('p', { class: 'banner ok', text: `${verb} accepted` }));
    } catch (err) {
      replace(message, h('p', { class: 'banner bad', text: `${verb} refused: ${/** @type {Error} */ (err).message}` }));
    } finally {
      busy = false;
      await load();
    }
  }

  function renderCharts() {
    if (!current) return;
    const plan = migrationPlan(current);
    const since = (current.createdAt ?? 0) - 30_000;
    const side = (/** @type {string} */ pool, /** @type {'errors' | 'p99'} */ key) => ({
      label: pool,
      colour: poolColour(pool),
      points: seriesOf('pools', pool)
        .filter((p) => p.t >= since)
        .map((p) => ({ x: p.t, y: p[key] })),
    });
    errorChart.update([side(plan.from, 'errors'), side(plan.to, 'errors')]);
    p99Chart.update([side(plan.from, 'p99'), side(plan.to, 'p99')]);
  }

  void load();
  const poll = setInterval(() => {
    if (current && isActive(current)) void load();
  }, 2000);
  const unsubs = [
    subscribe(['windows'], renderCharts),
    subscribe(['events'], () => {
      const e = store.events.at(-1);
      if (e?.kind?.startsWith('migration.') && (e.subject === id || e.data?.migration === id || e.data?.id === id)) void load();
    }),
  ];
  return () => {
    clearInterval(poll);
    for (const u of unsubs) u();
    errorChart.close();
    p99Chart.close();
  };
}
