/**
 * Whether an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts a content coding: listed with
 * q > 0, or covered by `*` with q > 0 and not listed with q = 0. No header means identity only.
 */
export function acceptsEncoding(header: string | undefined, coding: string): boolean {
  if (header === undefined) return false;
  let star: number | undefined;
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m !== null) q = Number(m[1]);
    }
    if (token.trim() === coding) return q > 0;
    if (token.trim() === '*') star = q;
  }
  return star !== undefined && star > 0;
}
