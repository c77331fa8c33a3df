// The live journal feed with filters (kind prefix, source, subject), newest on top; pausing keeps
// the rows still while reading without dropping what arrives meanwhile.

import { h, replace, table } from '../element.js';
import { kindBadge } from '../event-summary.js';
import { clockTime } from '../format.js';
import { store, subscribe } from '../store.js';

const SHOWN = 300;

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function mountEvents(root) {
  const kind = /** @type {HTMLInputElement} */ (
    h('input', { type: 'search', name: 'kind', placeholder: 'migration.* or split.changed', autocomplete: 'off' })
  );
  const subject = /** @type {HTMLInputElement} */ (
    h('input', { type: 'search', name: 'subject', placeholder: 'route, pool, id', autocomplete: 'off' })
  );
  const source = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'source' },
      ['', 'balancer', 'haproxy', 'rollout', 'loadgen', 'alert', 'operator', 'platform', 'journal'].map((s) =>
        h('option', { value: s, text: s || 'any source' }),
      ),
    )
  );
  const pause = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'pause' }));
  const count = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const rows = h('div');
  replace(
    root,
    h('h1', { text: 'Events' }),
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      h('label', {}, 'Kind ', kind),
      h('label', {}, 'Source ', source),
      h('label', {}, 'Subject ', subject),
      h('label', { class: 'check' }, pause, ' Pause'),
      count,
    ),
    h('section', { class: 'panel' }, rows),
  );

  function render() {
    if (pause.checked) return;
    const k = kind.value.trim();
    const prefix = k.endsWith('*') ? k.slice(0, -1) : null;
    const shown = [];
    for (const e of store.events.toReversed()) {
      if (shown.length === SHOWN) break;
      if (k && (prefix !== null ? !e.kind.startsWith(prefix) : !e.kind.includes(k))) continue;
      if (source.value && e.source !== source.value) continue;
      if (subject.value.trim() && !String(e.subject).includes(subject.value.trim())) continue;
      shown.push(e);
    }
    count.textContent = `${shown.length} shown of ${store.events.length}`;
    replace(
      rows,
      table(
        [
          { label: 'time', cell: (e) => clockTime(e.time), class: 'nowrap' },
          { label: 'kind', cell: (e) => kindBadge(e.kind) },
          { label: 'source', cell: (e) => e.source },
          { label: 'subject', cell: (e) => e.subject },
          { label: 'what', cell: (e) => e.summary },
          { label: 'by', cell: (e) => e.actor },
        ],
        shown,
        { empty: 'No events match.' },
      ),
    );
  }
  for (const el of [kind, subject, source, pause]) el.addEventListener('input', render);
  render();
  return subscribe(['events'], render);
}
