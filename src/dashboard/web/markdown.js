// Renders the postmortem's Markdown into DOM nodes (never innerHTML): headings, paragraphs, lists,
// tables, block quotes, code, emphasis and links. Enough for what the journal generates; anything
// else shows as plain text, which is always safe.

import { h } from './element.js';

/**
 * @param {string} source
 * @returns {HTMLElement}
 */
export function renderMarkdown(source) {
  const root = h('div', { class: 'markdown' });
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^```/.exec(line);
    if (fence) {
      const code = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i] ?? '')) code.push(lines[i++]);
      i++;
      root.append(h('pre', {}, h('code', { text: code.join('\n') })));
      continue;
    }
    const heading = /^(#{1,6})\s*(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = Math.min(6, (heading[1] ?? '#').length + 1); // the page already has an h1
      root.append(h(`h${level}`, {}, inline(heading[2] ?? '')));
      i++;
      continue;
    }
    if (/^(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      root.append(h('hr'));
      i++;
      continue;
    }
    if (/^\s*\|/.test(line) && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1] ?? '')) {
      const header = cells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && /^\s*\|/.test(lines[i] ?? '')) rows.push(cells(lines[i++] ?? ''));
      root.append(
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
                header.map((c) => h('th', { scope: 'col' }, inline(c))),
              ),
            ),
            h(
              'tbody',
              {},
              rows.map((r) =>
                h(
                  'tr',
                  {},
                  r.map((c) => h('td', {}, inline(c))),
                ),
              ),
            ),
          ),
        ),
      );
      continue;
    }
    if (/^>\s?/.test(line)) {
      const quote = [];
      while (i < lines.length && /^>\s?/.test(lines[i] ?? '')) quote.push((lines[i++] ?? '').replace(/^>\s?/, ''));
      root.append(h('blockquote', {}, renderMarkdown(quote.join('\n'))));
      continue;
    }
    const bullet = /^(\s*)([-*+]|\d+[.)])\s+/.exec(line);
    if (bullet) {
      const ordered = /\d/.test(bullet[2] ?? '');
      const items = [];
      while (i < lines.length) {
        const m = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i] ?? '');
        if (m) {
          items.push(m[3] ?? '');
          i++;
        } else if (/^\s{2,}\S/.test(lines[i] ?? '') && items.length > 0) {
          items[items.length - 1] += ` ${(lines[i++] ?? '').trim()}`;
        } else break;
      }
      root.append(
        h(
          ordered ? 'ol' : 'ul',
          {},
          items.map((it) => h('li', {}, inline(it))),
        ),
      );
      continue;
    }
    const para = [];
    while (i < lines.length && (lines[i] ?? '').trim() !== '' && !/^(#{1,6}|```|>|\s*[-*+]\s|\s*\d+[.)]\s|\s*\|)/.test(lines[i] ?? '')) {
      para.push((lines[i++] ?? '').trim());
    }
    if (para.length === 0) para.push((lines[i++] ?? '').trim());
    root.append(h('p', {}, inline(para.join(' '))));
  }
  return root;
}

/** @param {string} line */
function cells(line) {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(__[^_]+__)|(\*[^*\s][^*]*\*)|(_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

/**
 * @param {string} text
 * @returns {Node[]}
 */
function inline(text) {
  /** @type {Node[]} */
  const out = [];
  let rest = text;
  while (rest.length > 0) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(document.createTextNode(rest));
      break;
    }
    if (m.index > 0) out.push(document.createTextNode(rest.slice(0, m.index)));
    const token = m[0];
    if (m[1]) out.push(h('code', { text: token.slice(1, -1) }));
    else if (m[2] || m[3]) out.push(h('strong', {}, inline(token.slice(2, -2))));
    else if (m[4] || m[5]) out.push(h('em', {}, inline(token.slice(1, -1))));
    else {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token);
      const href = link?.[2] ?? '';
      // Only web and in-page links: a javascript: or data: URL stays text.
      if (link && /^(https?:\/\/|#|\/)/.test(href))
        out.push(h('a', { href, rel: 'noopener noreferrer', target: href.startsWith('#') ? undefined : '_blank' }, inline(link[1] ?? '')));
      else out.push(document.createTextNode(token));
    }
    rest = rest.slice(m.index + token.length);
  }
  return out;
}
