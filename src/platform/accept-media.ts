/**
 * Whether an `Accept` header (RFC 9110 §12.5.1) prefers `text/html` to `application/json`: each
 * gets the quality of the most specific range that covers it, and HTML must be strictly higher.
 * A browser navigating names `text/html` and takes anything else at a lower q, so it gets HTML;
 * `fetch()`, XMLHttpRequest and curl take anything at one q (a tie), and API clients ask for JSON,
 * so they get JSON.
 */
export function prefersHtml(header: string | undefined): boolean {
  if (header === undefined) return false;
  return quality(header, 'text/html') > quality(header, 'application/json');
}

function quality(header: string, media: string): number {
  const [type] = media.split('/');
  let specificity = -1;
  let q = 0;
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const r = range.trim();
    const s = r === media ? 2 : r === `${type}/*` ? 1 : r === '*/*' ? 0 : -1;
    if (s < 0 || s < specificity) continue;
    let value = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m !== null) value = Number(m[1]);
    }
    q = s > specificity ? value : Math.max(q, value);
    specificity = s;
  }
  return q;
}
