/**
 * Whether a request host (lower-case, port stripped) matches a route's host pattern: `*` matches
 * any host, `*.example.com` any subdomain of example.com (not example.com itself), else exact.
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

// RFC 3986 reg-name / IPv4 / bracketed IPv6, with an optional port; no spaces, slashes or '@'.
const HOST_RE = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9._-]{0,252}))(?::\d{1,5})?$/i;

/** The host of a `Host` header, lower-case without the port, or null when malformed. */
export function parseHostHeader(value: string | undefined): string | null {
  if (value === undefined || value.length === 0 || !HOST_RE.test(value)) return null;
  const lower = value.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}
