import { isValidHost } from '../core/index.ts';

/** An absolute-form request-target taken apart: its authority (the Host to use) and its origin-form path. */
export interface AbsoluteTarget {
  authority: string;
  path: string;
}

// `http://` or `https://`, any letter case (RFC 9110 §4.2.1, §4.2.2).
const ABSOLUTE = /^https?:\/\//i;

/**
 * An absolute-form request-target (RFC 9112 §3.2.2) taken apart, or null when it is not one a
 * reverse proxy can serve: a scheme other than http(s), an empty or malformed authority, or
 * userinfo, which RFC 9110 §4.2.4 says to treat as an error (`http://good@evil/` names `evil`).
 * A path that is empty or starts with the query becomes `/` (`http://h?x=1` asks for `/?x=1`,
 * RFC 9112 §3.2.1); a fragment is not part of a target and is dropped.
 */
export function absoluteTarget(target: string): AbsoluteTarget | null {
  const m = ABSOLUTE.exec(target);
  if (m === null) return null;
  const start = m[0].length;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    end++;
  }
  const authority = target.slice(start, end);
  if (authority === '' || authority.includes('@') || !isValidHost(authority)) return null;
  const hash = target.indexOf('#', end);
  const rest = hash === -1 ? target.slice(end) : target.slice(end, hash);
  return { authority, path: rest.charCodeAt(0) === 0x2f ? rest : `/${rest}` };
}
