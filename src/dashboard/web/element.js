// DOM building without innerHTML: every text goes through textContent, so data from the API
// (event subjects, reasons, postmortem text) can never become markup.

/**
 * Creates an element. `props`: `class`, `text`, `on*` listeners, `dataset`, `style` (an object of
 * CSS properties), `aria-*`/other
 * attributes; `children`: nodes, strings, or nested arrays (null/undefined/false are skipped).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    // Styles go through the CSSOM: the content security policy refuses inline style attributes.
    else if (key === 'style') for (const [prop, v] of Object.entries(/** @type {object} */ (value))) el.style.setProperty(prop, String(v));
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'value' && 'value' in el) /** @type {HTMLInputElement} */ (el).value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {unknown[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...unknown} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A table from rows; `columns` give the header text and how to render each cell.
 * @template T
 * @param {{ label: string, cell: (row: T) => unknown, class?: string }[]} columns
 * @param {readonly T[]} rows
 * @param {{ empty?: string, caption?: string, rowClass?: (row: T) => string | undefined }} [options]
 */
export function table(columns, rows, options = {}) {
  if (rows.length === 0) return h('p', { class: 'empty', text: options.empty ?? 'Nothing yet.' });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      options.caption ? h('caption', { text: options.caption }) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: c.class, text: c.label })),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            { class: options.rowClass?.(row) },
            columns.map((c) => h('td', { class: c.class }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/**
 * A definition list of facts, for objects whose exact fields are up to the API (gate figures,
 * judge statistics, impact): every scalar field is shown with its name made readable.
 * @param {unknown} obj
 * @param {(key: string, value: unknown) => unknown} [render]
 */
export function facts(obj, render) {
  if (obj === null || typeof obj !== 'object') return h('p', { class: 'empty', text: 'No figures recorded.' });
  const items = Object.entries(/** @type {Record<string, unknown>} */ (obj)).filter(([, v]) => v !== undefined);
  if (items.length === 0) return h('p', { class: 'empty', text: 'No figures recorded.' });
  return h(
    'dl',
    { class: 'facts' },
    items.map(([key, value]) => [h('dt', { text: humanKey(key) }), h('dd', {}, render?.(key, value) ?? scalar(value))]),
  );
}

/**
 * `capacityRps` → `capacity rps`, `p99Ms` → `p99 ms`.
 * @param {string} key
 */
export function humanKey(key) {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
}

/** @param {unknown} value */
function scalar(value) {
  if (value === null) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return h('code', { text: JSON.stringify(value) });
  return String(value);
}

/**
 * A status badge; `tone` is one of ok, warn, bad, info, muted.
 * @param {string} text
 * @param {string} tone
 */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone}`, text });
}
