import { isValidHost } from '../http1/index.ts';

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

// RFC 3986 §2.3: characters whose percent-encoding means the same as the character itself.
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  UNRESERVED[c] = /[A-Za-z0-9\-._~]/.test(ch) ? 1 : 0;
}
const HEX = '0123456789ABCDEF';

/**
 * The origin-form target (`/path?query`) with its path normalised as RFC 3986 §6.2.2 says to
 * compare URIs: percent-encoded unreserved characters decoded (`%2e` → `.`, `%61` → `a`), other
 * percent-encodings in upper case, and dot segments removed (§5.2.4: `/api/../admin` → `/admin`;
 * never above the root). The query is left as sent. Null when a `%` is not followed by two hex
 * digits. Routes are matched on the result and the result is what goes upstream: a backend that
 * normalises the path itself then serves what the balancer routed, so `/api/../admin` or
 * `/%2e%2e/admin` cannot reach a path through a route prefix that does not cover it. Encoded
 * slashes (`%2F`) stay encoded: they are data, not separators (RFC 3986 §2.2).
 */
export function normalizedTarget(target: string): string | null {
  // Most targets have nothing to do, and two native scans say so.
  if (target.indexOf('%') === -1 && target.indexOf('/.') === -1) return target;
  const q = target.indexOf('?');
  const end = q === -1 ? target.length : q;
  let path = '';
  let from = 0;
  for (let i = target.indexOf('%'); i !== -1 && i < end; i = target.indexOf('%', from)) {
    const hi = hexValue(target.charCodeAt(i + 1));
    const lo = hexValue(target.charCodeAt(i + 2));
    if (hi < 0 || lo < 0 || i + 2 >= end) return null;
    const byte = hi * 16 + lo;
    path += target.slice(from, i) + (byte < 128 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`);
    from = i + 3;
  }
  path += target.slice(from, end);
  if (path.indexOf('/.') !== -1) path = withoutDotSegments(path);
  return q === -1 ? path : path + target.slice(q);
}

/** RFC 3986 §5.2.4 on an absolute path: `.` segments dropped, `..` removes the one before (none above the root). */
function withoutDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading slash.
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      // A dot segment at the end leaves the path ending in a slash (`/a/b/..` → `/a/`).
      if (i === segments.length - 1) out.push('');
    } else {
      out.push(s);
    }
  }
  return `/${out.join('/')}`;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}
