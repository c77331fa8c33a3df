// The postmortem, drawn from the structured document the server builds (sections of paragraphs,
// lists, tables and notes to confirm) with DOM elements only. Every text goes in as text: nothing
// anyone typed (an override reason, a name) can become a link, markup or emphasis, and an
// underscore shows as an underscore. No Markdown is parsed in the browser.

import { h } from '../element.js';

/** @typedef {import('../api.js').PostmortemDocument} PostmortemDocument */
/** @typedef {import('../api.js').Block} Block */

/**
 * `Timeline of events` → `timeline-of-events`: the section's anchor and its style hook.
 * @param {string} heading
 */
function slug(heading) {
  return heading.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * @param {Extract<Block, { kind: 'table' }>} b
 */
function tableBlock(b) {
  // A table whose headers are all empty is a list of label/value pairs: no header row to read out.
  const head = b.headers.some((x) => x !== '')
    ? h(
        'thead',
        {},
        h(
          'tr',
          {},
          b.headers.map((x) => h('th', { scope: 'col', text: x })),
        ),
      )
    : null;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      head,
      h(
        'tbody',
        {},
        b.rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c) => h('td', { text: c })),
          ),
        ),
      ),
    ),
  );
}

/** @param {Block} b */
function block(b) {
  switch (b.kind) {
    case 'paragraph':
      return h('p', { text: b.text });
    case 'list':
      return h(
        'ul',
        {},
        b.items.map((i) => h('li', { text: i })),
      );
    case 'table':
      return tableBlock(b);
    case 'confirm':
      return h('p', { class: 'confirm' }, h('strong', { text: 'To confirm: ' }), b.text);
  }
}

/**
 * @param {PostmortemDocument} doc
 * @returns {HTMLElement}
 */
export function renderPostmortem(doc) {
  return h(
    'article',
    { class: 'panel postmortem', 'aria-label': 'Postmortem' },
    h('h2', { text: doc.title }),
    doc.sections.map((s) =>
      h(
        'section',
        {
          class: s.needsConfirmation ? 'to-confirm' : undefined,
          dataset: { section: slug(s.heading) },
          'aria-labelledby': `pm-${slug(s.heading)}`,
        },
        h('h3', { id: `pm-${slug(s.heading)}`, text: s.heading }),
        s.blocks.map(block),
      ),
    ),
  );
}
