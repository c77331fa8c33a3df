// RFC 9110 §7.6.1: connection-specific fields never travel past one hop.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** Headers named in a Connection field (also hop-by-hop), lower-case; null when none. */
function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  const tokens = text
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return tokens.length === 0 ? null : new Set(tokens);
}

export interface ForwardedFor {
  clientIp: string;
  host: string;
  proto: 'http' | 'https';
  requestId: string;
}

/**
 * Headers to send upstream: hop-by-hop removed; Host kept as the client sent it; X-Forwarded-For
 * appended, X-Forwarded-Proto/-Host set, Via appended (RFC 9110 §7.6.3), X-Request-Id set.
 */
export function upstreamRequestHeaders(
  incoming: Readonly<Record<string, string | string[] | undefined>>,
  fwd: ForwardedFor,
): Record<string, string | string[]> {
  const extra = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const key in incoming) {
    if (HOP_BY_HOP.has(key) || (extra?.has(key) ?? false)) continue;
    const value = incoming[key];
    if (value !== undefined) out[key] = value;
  }
  out.host = fwd.host;
  const xff = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = xff === undefined ? fwd.clientIp : `${Array.isArray(xff) ? xff.join(', ') : xff}, ${fwd.clientIp}`;
  out['x-forwarded-proto'] = fwd.proto;
  out['x-forwarded-host'] = fwd.host;
  const via = incoming.via;
  out.via = via === undefined ? '1.1 piper' : `${Array.isArray(via) ? via.join(', ') : via}, 1.1 piper`;
  out['x-request-id'] = fwd.requestId;
  return out;
}

/** Response headers to send to the client: hop-by-hop removed, Via appended. */
export function downstreamResponseHeaders(incoming: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const extra = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const key in incoming) {
    if ((HOP_BY_HOP.has(key) && key !== 'host') || (extra?.has(key) ?? false)) continue;
    const value = incoming[key];
    if (value !== undefined) out[key] = value;
  }
  const via = incoming.via;
  out.via = via === undefined ? '1.1 piper' : `${Array.isArray(via) ? via.join(', ') : via}, 1.1 piper`;
  return out;
}

// Printable ASCII without spaces, bounded, so an id is safe to log and to pass on.
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

/** The client's X-Request-Id if it is sane, else null (the caller generates one). */
export function validRequestId(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && REQUEST_ID_RE.test(value) ? value : null;
}
