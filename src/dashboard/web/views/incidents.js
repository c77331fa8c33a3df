// Incidents: the list; one incident with its times, computed impact and timeline; its postmortem
// drawn from the server's structured document, with a download of the same postmortem as Markdown.

import { getIncident, getIncidents, getPostmortem, getPostmortemMarkdown, post, session } from '../api.js';
import { confirmAction } from '../confirm-dialog.js';
import { badge, facts, h, replace, table } from '../element.js';
import { kindBadge } from '../event-summary.js';
import { clockTime, dateTime, percent, rate } from '../format.js';
import { store, subscribe } from '../store.js';
import { renderPostmortem } from './postmortem-view.js';

/** @typedef {import('../api.js').Incident} Incident */
/** @typedef {import('../api.js').IncidentAnswer} IncidentAnswer */
/** @typedef {import('../api.js').IncidentImpact} IncidentImpact */
/** @typedef {IncidentAnswer['figures']} FigureRows the label → value rows every place prints */

/** @param {Incident} i */
function statusBadge(i) {
  const s = i.status;
  return badge(s, { open: 'bad', acknowledged: 'warn', resolved: 'ok' }[s] ?? 'muted');
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function mountIncidentList(root) {
  const list = h('section', { class: 'panel' });
  replace(root, h('h1', { text: 'Incidents' }), list);
  async function render() {
    try {
      const items = (await getIncidents()).incidents;
      replace(
        list,
        table(
          [
            { label: 'id', cell: (i) => h('a', { href: `#/incidents/${encodeURIComponent(i.id)}`, text: `#${i.id}` }) },
            { label: 'status', cell: (i) => statusBadge(i) },
            {
              label: 'title',
              cell: (i) => h('a', { href: `#/incidents/${encodeURIComponent(i.id)}`, text: i.title }),
            },
            { label: 'started', cell: (i) => dateTime(i.startedAt) },
            { label: 'failed requests', cell: (i) => figure(i, 'failed requests') },
            { label: 'time to mitigate', cell: (i) => figure(i, 'time to mitigate') },
            { label: 'where', cell: (i) => [...i.routes, ...i.pools].join(', ') || '—' },
          ],
          items,
          { empty: 'No incidents recorded. Calm.', rowClass: (i) => (i.status === 'resolved' ? undefined : 'row-alert') },
        ),
      );
    } catch (err) {
      replace(list, h('p', { class: 'error', text: `Could not load incidents: ${/** @type {Error} */ (err).message}` }));
    }
  }
  void render();
  return subscribe(['events'], () => {
    if (store.events.at(-1)?.kind?.startsWith('incident.')) void render();
  });
}

/**
 * @param {HTMLElement} root
 * @param {string} id
 * @param {boolean} showPostmortem
 * @returns {() => void}
 */
export function mountIncident(root, id, showPostmortem) {
  const head = h('div', { class: 'detail-head' });
  const body = h('div');
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Incident sections' },
    h('a', { href: `#/incidents/${encodeURIComponent(id)}`, 'aria-current': showPostmortem ? undefined : 'page', text: 'Details' }),
    h('a', {
      href: `#/incidents/${encodeURIComponent(id)}/postmortem`,
      'aria-current': showPostmortem ? 'page' : undefined,
      text: 'Postmortem',
    }),
  );
  replace(root, head, tabs, body);

  async function load() {
    /** @type {IncidentAnswer} */
    let report;
    try {
      report = await getIncident(id);
    } catch (err) {
      replace(head, h('h1', { text: `Incident ${id}` }), h('p', { class: 'error', text: /** @type {Error} */ (err).message }));
      return;
    }
    const inc = report.incident;
    replace(
      head,
      h('h1', {}, `#${inc.id} ${inc.title} `, statusBadge(inc)),
      h('p', {
        class: 'muted',
        text: `opened by ${inc.openedBy.kind}${inc.openedBy.alert ? ` (${inc.openedBy.alert})` : ''} · ${[...inc.routes, ...inc.pools].join(', ')}`,
      }),
      session.role === 'admin' && inc.status === 'open'
        ? h('button', { type: 'button', class: 'primary', onclick: () => ack() }, 'Acknowledge')
        : null,
    );
    if (showPostmortem) await loadPostmortem();
    else renderDetails(report, inc);
  }

  async function ack() {
    const ok = await confirmAction({
      title: `Acknowledge incident #${id}`,
      message: 'You are on it: the journal records who acknowledged and when.',
      confirm: 'Acknowledge',
    });
    if (!ok) return;
    await post(`/api/v1/incidents/${encodeURIComponent(id)}/ack`, { actor: 'dashboard' }).catch((err) => {
      replace(body, h('p', { class: 'banner bad', text: `acknowledge refused: ${err.message}` }));
    });
    await load();
  }

  function renderDetails(/** @type {IncidentAnswer} */ report, /** @type {Incident} */ inc) {
    const impact = report.impact;
    // Appended order is not always time order (backdated facts): the timeline reads by time.
    const timeline = [...report.timeline].sort((a, b) => a.time - b.time || a.id - b.id);
    replace(
      body,
      h(
        'div',
        { class: 'two-col' },
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'times-h' },
          h('h2', { id: 'times-h', text: 'Times' }),
          facts({
            started: `${dateTime(inc.startedAt)} (impact start: the first failure)`,
            detected: `${dateTime(inc.detectedAt)} · time to detect ${figure(report, 'time to detect')}`,
            acknowledged: inc.acknowledgedAt ? `${dateTime(inc.acknowledgedAt)} by ${inc.acknowledgedBy ?? '?'}` : 'not yet',
            mitigated: inc.mitigatedAt
              ? `${dateTime(inc.mitigatedAt)} by ${inc.mitigatedBy ?? '?'} · time to mitigate ${figure(report, 'time to mitigate')}`
              : 'not yet',
            resolved: inc.resolvedAt ? `${dateTime(inc.resolvedAt)} · time to resolve ${figure(report, 'time to resolve')}` : 'not yet',
            alerts: inc.alerts.join(', ') || '—',
            stillFiring: inc.activeAlerts.join(', ') || 'none',
          }),
        ),
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'impact-h' },
          h('h2', { id: 'impact-h', text: 'Impact (from traffic)' }),
          impactFacts(report.figures, impact),
        ),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'timeline-h' },
        h('h2', { id: 'timeline-h', text: 'Timeline' }),
        table(
          [
            { label: 'time', cell: (e) => clockTime(e.time), class: 'nowrap' },
            { label: 'kind', cell: (e) => kindBadge(e.kind) },
            { label: 'subject', cell: (e) => e.subject },
            { label: 'what', cell: (e) => e.summary },
            { label: 'by', cell: (e) => e.actor },
          ],
          timeline,
          { empty: 'No events in the incident window.' },
        ),
      ),
    );
  }

  async function loadPostmortem() {
    replace(body, h('p', { class: 'muted', text: 'Generating postmortem…' }));
    // Times in the viewer's zone, as elsewhere on the dashboard.
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    let doc;
    let markdown;
    try {
      [doc, markdown] = await Promise.all([getPostmortem(id, tz), getPostmortemMarkdown(id, tz)]);
    } catch (err) {
      replace(body, h('p', { class: 'error', text: `Could not generate the postmortem: ${/** @type {Error} */ (err).message}` }));
      return;
    }
    const download = h('button', { type: 'button', class: 'secondary', onclick: () => save(String(markdown)) }, 'Download Markdown');
    replace(body, h('div', { class: 'actions' }, download), renderPostmortem(doc));
  }

  function save(/** @type {string} */ markdown) {
    const url = URL.createObjectURL(new Blob([markdown], { type: 'text/markdown' }));
    const a = h('a', { href: url, download: `postmortem-incident-${id}.md` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  void load();
  return subscribe(['events'], () => {
    const e = store.events.at(-1);
    if (
      !showPostmortem &&
      e?.kind?.startsWith('incident.') &&
      (String(e.subject) === String(id) || String(e.data?.incident) === String(id))
    )
      void load();
  });
}

/**
 * One of an incident's figures as the server words them (the same text as the postmortem and
 * `piper incidents`), or a dash.
 * @param {{ figures: FigureRows }} item an incident of the list, or a report
 * @param {FigureRows[number][0]} label
 */
function figure(item, label) {
  const row = item.figures.find((r) => r[0] === label);
  return row ? String(row[1]) : '—';
}

/**
 * The incident's numbers (docs/journal.md, "Numbers"), then what only this page shows.
 * @param {FigureRows} figures the report's label → value rows
 * @param {IncidentImpact | null} impact
 */
function impactFacts(figures, impact) {
  if (figures.length === 0) return h('p', { class: 'empty', text: 'No traffic recorded for this incident.' });
  const more = impact
    ? [
        ['slow requests', String(impact.slow)],
        ['seconds below the objective', String(impact.secondsBelowSlo)],
        ['peak rate', rate(impact.peakRps)],
        ['error budget spent', percent(impact.budgetSpent)],
      ]
    : [];
  return [
    h(
      'dl',
      { class: 'facts' },
      [...figures, ...more].map(([label, value]) => [h('dt', { text: String(label) }), h('dd', { text: String(value) })]),
    ),
    impact?.pools.length
      ? table(
          [
            { label: 'pool', cell: (p) => p.pool },
            { label: 'requests', cell: (p) => p.requests },
            { label: 'failed (shed included)', cell: (p) => p.failed + p.shed },
            { label: 'shed', cell: (p) => p.shed },
          ],
          impact.pools,
        )
      : null,
  ];
}
