/**
 * Whether a request host (lower-case, port stripped) matches a route's host pattern: `*` matches
 * any host, `*.example.com` any subdomain of example.com (not example.com itself), else exact.
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

// RFC 3986 reg-name / IPv4 (letters, digits, '.', '_', '-'; first a letter or digit; at most 253)
// or a bracketed IPv6 literal (hex digits, ':', '.'), then an optional port of 1–5 digits. No
// spaces, slashes or '@'. A loop over a table, not a regular expression: it runs on every request.
const NAME = new Uint8Array(128);
const IPV6 = new Uint8Array(128);
for (let c = 48; c <= 57; c++) NAME[c] = IPV6[c] = 1;
for (let c = 97; c <= 122; c++) NAME[c] = NAME[c - 32] = 1;
for (let c = 97; c <= 102; c++) IPV6[c] = IPV6[c - 32] = 1;
for (const c of '._-') NAME[c.charCodeAt(0)] = 1;
IPV6[58] = IPV6[46] = 1; // ':' '.'

/** The length of the host part of `value` (before an optional `:port`), or -1 when malformed. */
function hostLength(value: string): number {
  const n = value.length;
  let i = 0;
  if (value.charCodeAt(0) === 0x5b) {
    for (i = 1; i < n && value.charCodeAt(i) !== 0x5d; i++) if (IPV6[value.charCodeAt(i)] !== 1) return -1;
    if (i === 1 || i === n) return -1;
    i++;
  } else {
    const first = value.charCodeAt(0);
    if (first === 0x2e || first === 0x5f || first === 0x2d) return -1;
    for (; i < n && value.charCodeAt(i) !== 0x3a; i++) if (NAME[value.charCodeAt(i)] !== 1) return -1;
    if (i === 0 || i > 253) return -1;
  }
  if (i === n) return i;
  if (value.charCodeAt(i) !== 0x3a || n - i - 1 < 1 || n - i - 1 > 5) return -1;
  for (let k = i + 1; k < n; k++) {
    const c = value.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
  }
  return i;
}

/** The host of a `Host` header, lower-case without the port, or null when malformed. */
export function parseHostHeader(value: string | undefined): string | null {
  if (value === undefined || value.length === 0) return null;
  const end = hostLength(value);
  if (end < 0) return null;
  const host = end === value.length ? value : value.slice(0, end);
  // Only when needed: toLowerCase() copies even a host already in lower case, as nearly all are.
  return hasUpperCase(host) ? host.toLowerCase() : host;
}

function hasUpperCase(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
