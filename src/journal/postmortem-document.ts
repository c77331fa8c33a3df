/** A paragraph, list, table or a note that asks a human to confirm a suggestion. */
export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; headers: string[]; rows: string[][] }
  | { kind: 'confirm'; text: string };

/** One of the seed's eleven sections. */
export interface Section {
  heading: string;
  /** True when the section holds judgment pre-filled from evidence, to be confirmed by a person. */
  needsConfirmation: boolean;
  blocks: Block[];
}

/** A generated postmortem, rendered to Markdown or HTML from the same blocks. */
export interface PostmortemDocument {
  title: string;
  generatedAt: number;
  incidentId: number;
  sections: Section[];
}

/** The seed's sections, in the seed's order (seed/postmortem-2017-03-31.md). */
export const POSTMORTEM_SECTIONS = [
  'Summary',
  'Affected Services',
  'Impact',
  'Outage Duration',
  'Cause',
  'Resolution',
  'Timeline of events',
  'Problems with our response',
  'Preventative measures to take',
  'Detection Method',
  'Changes to make in future outage responses',
] as const;

const CONFIRM = 'To confirm';

/**
 * Text as Markdown shows it literally: typed text (an override reason, an actor's name) must not
 * become a link, an emphasis or HTML in a Markdown viewer. Underscores inside a word stay as they
 * are (`error_ratio`), since no viewer reads those as emphasis.
 */
function mdText(s: string): string {
  return (
    s
      .replace(/\n/g, ' ')
      .replace(/[\\`*~[\]]/g, '\\$&')
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .replace(/<(?=[A-Za-z/!?])/g, '\\<')
      .replace(/&(?=#?\w+;)/g, '\\&')
      // A line that would open a heading, quote or list item.
      .replace(/^(?:#{1,6}|[-+])(?= |$)|^>/, '\\$&')
      .replace(/^(\d{1,9})([.)])(?= |$)/, '$1\\$2')
  );
}

function mdCell(s: string): string {
  return mdText(s).replace(/\|/g, '\\|');
}

/** Markdown: `#` title, `##` per section, GitHub tables, confirmations as block quotes. */
export function renderMarkdown(doc: PostmortemDocument): string {
  const out: string[] = [`# ${mdText(doc.title)}`, ''];
  for (const section of doc.sections) {
    out.push(`## ${section.heading}`, '');
    for (const b of section.blocks) {
      switch (b.kind) {
        case 'paragraph':
          out.push(mdText(b.text), '');
          break;
        case 'list':
          out.push(...b.items.map((i) => `- ${mdText(i)}`), '');
          break;
        case 'table':
          out.push(
            `| ${b.headers.map(mdCell).join(' | ')} |`,
            `|${b.headers.map(() => '---').join('|')}|`,
            ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
            '',
          );
          break;
        case 'confirm':
          out.push(`> **${CONFIRM}:** ${mdText(b.text)}`, '');
          break;
      }
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A self-contained HTML page (no scripts), for the dashboard and for people without a Markdown viewer. */
export function renderHtml(doc: PostmortemDocument): string {
  const body: string[] = [`<h1>${esc(doc.title)}</h1>`];
  for (const section of doc.sections) {
    const id = section.heading.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    body.push(`<section id="${id}"${section.needsConfirmation ? ' class="to-confirm"' : ''}>`, `<h2>${esc(section.heading)}</h2>`);
    for (const b of section.blocks) {
      switch (b.kind) {
        case 'paragraph':
          body.push(`<p>${esc(b.text)}</p>`);
          break;
        case 'list':
          body.push(`<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`);
          break;
        case 'table':
          body.push(
            `<table><thead><tr>${b.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
              .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
              .join('')}</tbody></table>`,
          );
          break;
        case 'confirm':
          body.push(`<blockquote class="confirm"><strong>${CONFIRM}:</strong> ${esc(b.text)}</blockquote>`);
          break;
      }
    }
    body.push('</section>');
  }
  const style =
    'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}' +
    'table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;font-variant-numeric:tabular-nums}' +
    'blockquote.confirm{border-left:4px solid #d98e04;background:#fff8e6;margin:.5rem 0;padding:.4rem .8rem}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(doc.title)}</title><style>${style}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}
