import { isToken } from '../http1/index.ts';
import { fieldLines } from './header-lines.ts';

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

/**
 * Headers named in a Connection field (also hop-by-hop), lower-case; null when none. Read token by
 * token in place: nearly every message carries the field, mostly as a lone `keep-alive` or `close`,
 * which then costs no allocation at all.
 */
function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  let tokens: Set<string> | null = null;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    const t = text.slice(start, end).trim();
    if (t !== '' && !isToken(t, 'close') && !isToken(t, 'keep-alive')) {
      tokens ??= new Set();
      tokens.add(t.toLowerCase());
    }
    start = end + 1;
  }
  return tokens;
}

export interface ForwardedFor {
  clientIp: string;
  host: string;
  proto: 'http' | 'https';
  requestId: string;
}

/**
 * The header lines to send upstream, serialized in one pass (`name: value\r\n` each, no framing
 * fields: the upstream connection writes those from the length the body was read by, never from
 * the client's fields): Host first, as the client sent it; hop-by-hop
 * fields removed; X-Forwarded-For appended, X-Forwarded-Proto/-Host set, Via appended (RFC 9110
 * §7.6.3), X-Request-Id set. Names and values come from the request parser, which refused CR, LF
 * and NUL in them, so they are written as they are.
 */
export function upstreamRequestHeaderBlock(incoming: Readonly<Record<string, string | string[] | undefined>>, fwd: ForwardedFor): string {
  const extra = connectionTokens(incoming.connection);
  let block = `host: ${fwd.host}\r\n`;
  for (const key in incoming) {
    if (HOP_BY_HOP.has(key) || REPLACED.has(key) || key === 'content-length' || (extra?.has(key) ?? false)) continue;
    const value = incoming[key];
    if (value !== undefined) block += fieldLines(key, value);
  }
  const xff = incoming['x-forwarded-for'];
  block += `x-forwarded-for: ${xff === undefined ? fwd.clientIp : `${joined(xff)}, ${fwd.clientIp}`}\r\n`;
  block += `x-forwarded-proto: ${fwd.proto}\r\nx-forwarded-host: ${fwd.host}\r\n`;
  block += `${viaLine(incoming.via)}x-request-id: ${fwd.requestId}\r\n`;
  return block;
}

/**
 * A backend's response header lines for the client, serialized in one pass: hop-by-hop fields
 * (and those named in Connection) removed, Via appended. The response writer adds the framing,
 * Content-Length included, from the length the body is read by.
 */
export function downstreamResponseHeaderBlock(incoming: Readonly<Record<string, string | string[] | undefined>>): string {
  const extra = connectionTokens(incoming.connection);
  let block = '';
  for (const key in incoming) {
    if ((HOP_BY_HOP.has(key) && key !== 'host') || key === 'via' || key === 'content-length' || (extra?.has(key) ?? false)) continue;
    const value = incoming[key];
    if (value !== undefined) block += fieldLines(key, value);
  }
  return block + viaLine(incoming.via);
}

// Set by the balancer on the way upstream, whatever the client sent (X-Forwarded-For and Via are
// appended to, so they are written after the loop).
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'via', 'x-request-id']);

function joined(value: string | string[]): string {
  return typeof value === 'string' ? value : value.join(', ');
}

// The usual case, a message that came through no other proxy, gets a line built once.
const OWN_VIA_LINE = 'via: 1.1 piper\r\n';

/** The Via line to pass on: ours appended to the one received (RFC 9110 §7.6.3). */
function viaLine(via: string | string[] | undefined): string {
  return via === undefined ? OWN_VIA_LINE : `via: ${joined(via)}, 1.1 piper\r\n`;
}

// Printable ASCII without spaces, bounded, so an id is safe to log and to pass on.
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

/** The client's X-Request-Id if it is sane, else null (the caller generates one). */
export function validRequestId(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && REQUEST_ID_RE.test(value) ? value : null;
}
