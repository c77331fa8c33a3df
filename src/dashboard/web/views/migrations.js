// Migrations: the list, a start form, and one migration (plan and steps, the gate's evaluations,
// the judge's last window, the decisions the journal kept) with promote / pause / resume / abort
// behind a confirmation. The evidence is read from the journal, so it stays after the end.

import { gateRefusalOf, getMigration, getMigrations, post, session, startMigration } from '../api.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replace, table } from '../element.js';
import { kindBadge } from '../event-summary.js';
import { clockTime, dateTime, duration, millis, percent } from '../format.js';
import { LineChart, SLO_COLOUR } from '../line-chart.js';
import { isActive, migrationPlan, phaseBadge, phaseOf, stepIndexOf, stepLabel } from '../migration-facts.js';
import { poolColour } from '../pool-summary.js';
import { isInternal, routeObjective, seriesOf, store, subscribe } from '../store.js';
import { decisionTable, fastPathFacts, gateFacts, gateHistory, judgeFacts, stepClass } from './migration-evidence.js';

/** @typedef {import('../api.js').MigrationView} MigrationView */
/** @typedef {import('../api.js').MigrationDetail} MigrationDetail */

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function mountMigrationList(root) {
  const list = h('section', { class: 'panel', 'aria-labelledby': 'mig-h' });
  const start = session.role === 'admin' ? startForm() : null;
  replace(root, h('h1', { text: 'Migrations' }), start?.form, list);

  async function render() {
    try {
      const { migrations: items } = await getMigrations();
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
  const unsubs = [
    subscribe(['events'], () => {
      if (store.events.at(-1)?.kind.startsWith('migration.')) void render();
    }),
    // Routes, pools and which routes are internal may arrive after the form was drawn.
    subscribe(['state', 'slo'], () => start?.refresh()),
  ];
  return () => {
    for (const u of unsubs) u();
  };
}

/**
 * The start form: the gate's refusal (409) is shown with its numbers, never hidden. Internal routes
 * (a capacity test's) are not offered: the default is the first public route.
 */
function startForm() {
  const result = h('div', { class: 'form-result', role: 'status', 'aria-live': 'polite' });
  const field = (/** @type {string} */ label, /** @type {HTMLElement} */ input, /** @type {string} */ hint = '') =>
    h('label', { class: 'field' }, h('span', { text: label }), input, hint ? h('small', { class: 'muted', text: hint }) : null);
  const routeSelect = /** @type {HTMLSelectElement} */ (h('select', { name: 'route' }));
  const toSelect = /** @type {HTMLSelectElement} */ (h('select', { name: 'to' }));
  const fromSelect = /** @type {HTMLSelectElement} */ (h('select', { name: 'from' }));
  /**
   * Sets a select's options when they changed, keeping the operator's choice.
   * @param {HTMLSelectElement} select
   * @param {string[]} options
   * @param {string | null} blank label of an empty first choice
   */
  const fill = (select, options, blank = null) => {
    const values = [...(blank === null ? [] : ['']), ...options];
    if ([...select.options].map((o) => o.value).join('\n') === values.join('\n')) return;
    const chosen = select.value;
    replace(
      select,
      blank === null ? null : h('option', { value: '', text: blank }),
      options.map((o) => h('option', { value: o, text: o })),
    );
    if (values.includes(chosen)) select.value = chosen;
  };
  const refresh = () => {
    const pools = (store.state?.pools ?? []).map((p) => p.name);
    fill(
      routeSelect,
      (store.state?.routes ?? []).map((r) => r.name).filter((r) => !isInternal(r)),
    );
    fill(toSelect, pools);
    fill(fromSelect, pools, '(current main pool)');
  };
  refresh();
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'panel start-form', 'aria-labelledby': 'start-h' },
      h('h2', { id: 'start-h', text: 'Start a migration' }),
      h(
        'div',
        { class: 'fields' },
        field('Route', routeSelect),
        field('To pool', toSelect),
        field('From pool', fromSelect),
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
      const m = await startMigration(body);
      replace(result, h('p', {}, 'Started ', h('a', { href: `#/migrations/${encodeURIComponent(m.id)}`, text: m.id })));
      location.hash = `#/migrations/${encodeURIComponent(m.id)}`;
    } catch (err) {
      const error = /** @type {import('../api.js').ApiError} */ (err);
      // A refusal of the capacity gate carries the gate's figures: shown, never hidden.
      const gate = gateRefusalOf(err);
      replace(
        result,
        h('p', {
          class: 'error',
          text: `${gate ? 'Refused by the capacity gate' : 'Refused'}: ${error.message} (${error.code})`,
        }),
        gate ? gateFacts(gate) : null,
      );
    }
  });
  return { form, refresh };
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
  const errorChart = new LineChart({ title: 'Error ratio: source vs target', unit: 'ratio', yMax: 0.01 });
  const p99Chart = new LineChart({ title: 'p99: source vs target', unit: 'ms' });
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
  /** @type {MigrationDetail | null} */
  let current = null;
  let busy = false;

  async function load() {
    try {
      current = await getMigration(id);
      render(current);
    } catch (err) {
      replace(head, h('h1', { text: `Migration ${id}` }), h('p', { class: 'error', text: /** @type {Error} */ (err).message }));
    }
  }

  /** @param {MigrationDetail} m */
  function render(m) {
    const plan = migrationPlan(m);
    replace(
      head,
      h('h1', {}, `Migration ${m.id} `, phaseBadge(m)),
      h(
        'p',
        { class: 'muted' },
        `route ${plan.route}: ${plan.from} → ${plan.to} · started ${dateTime(m.createdAt)} by ${m.actor}`,
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
    const ended = !isActive(m);
    replace(
      gate,
      h('h2', { id: 'gate-h', text: ended ? 'Capacity gate (last evaluation)' : 'Capacity gate' }),
      gateFacts(m.gate),
      m.gates.length > 0 ? gateHistory(m.gates) : null,
    );
    // The newest decision may be the fast path's look at an open window: shown above the last judged window.
    const newest = m.decisions.at(-1);
    replace(
      judge,
      h('h2', { id: 'judge-h', text: ended ? 'Judge (last window)' : 'Judge (latest window)' }),
      newest?.fastPath ? fastPathFacts(newest.fastPath) : null,
      judgeFacts(m.judge),
    );
    replace(
      decisions,
      h('h2', { id: 'decisions-h', text: 'Decisions' }),
      h('p', {
        class: 'muted',
        text: 'Kept in the journal: each decision that acted or changed the verdict or the gate, the one each step ended on, and every one of the minute before a rollback.',
      }),
      decisionTable(m.decisions),
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
        [...m.events].reverse(),
        { empty: 'No events recorded for this migration.' },
      ),
    );
    renderCharts();
  }

  function renderSteps(/** @type {MigrationView} */ m, /** @type {ReturnType<typeof migrationPlan>} */ plan) {
    const at = stepIndexOf(m);
    const elapsed = isActive(m) ? Date.now() - m.stepStartedAt : null;
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
        `${m.targetPercent}% on ${plan.to} now · step ${at + 1} of ${plan.steps.length}`,
        plan.stepDurationMs ? ` · each step ${duration(plan.stepDurationMs)}` : '',
        elapsed !== null && elapsed >= 0 ? ` · this step for ${duration(elapsed)}` : '',
        plan.headroom ? ` · headroom ${plan.headroom}×` : '',
      ),
    );
  }

  function renderActions(/** @type {MigrationView} */ m) {
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
    const since = current.createdAt - 30_000;
    const objective = routeObjective(plan.route);
    const side = (/** @type {string} */ pool, /** @type {'errors' | 'p99'} */ key) => ({
      label: pool,
      colour: poolColour(pool),
      points: seriesOf('pools', pool)
        .filter((p) => p.t >= since)
        .map((p) => ({ x: p.t, y: p[key] })),
    });
    // The lines the judge holds the target to: the migrated route's own SLO.
    errorChart.update(
      [side(plan.from, 'errors'), side(plan.to, 'errors')],
      objective
        ? [{ value: 1 - objective.availability, label: `SLO ${plan.route} ${percent(1 - objective.availability)}`, colour: SLO_COLOUR }]
        : [],
    );
    p99Chart.update(
      [side(plan.from, 'p99'), side(plan.to, 'p99')],
      objective
        ? [{ value: objective.latencyThresholdMs, label: `SLO ${plan.route} ${millis(objective.latencyThresholdMs)}`, colour: SLO_COLOUR }]
        : [],
    );
  }

  // A rollback writes the minute before it as a burst of decisions: one reload for the burst.
  /** @type {ReturnType<typeof setTimeout> | null} */
  let reload = null;
  const loadSoon = () => {
    reload ??= setTimeout(() => {
      reload = null;
      void load();
    }, 300);
  };
  void load();
  const poll = setInterval(() => {
    if (current && isActive(current)) void load();
  }, 2000);
  const unsubs = [
    subscribe(['windows', 'slo'], renderCharts),
    subscribe(['events'], () => {
      const e = store.events.at(-1);
      if (e?.kind.startsWith('migration.') && String(e.data.migration) === id) loadSoon();
    }),
  ];
  return () => {
    clearInterval(poll);
    if (reload !== null) clearTimeout(reload);
    for (const u of unsubs) u();
    errorChart.close();
    p99Chart.close();
  };
}
