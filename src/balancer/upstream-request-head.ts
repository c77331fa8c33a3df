import { fieldLines } from './header-lines.ts';

/** Request headers as the pipeline hands them over: names lower-case, repeats as arrays. */
export type UpstreamRequestHeaders = Readonly<Record<string, string | string[]>>;

/**
 * The request head as one latin1 string, written with one `socket.write`: request line, the
 * caller's headers (Node's parser already refused CR, LF and NUL in them, and latin1 gives the
 * bytes back as the client sent them) but for their framing fields, `host` when none is given,
 * and `framing`: the lines (`content-length` or `transfer-encoding: chunked`) the body is written
 * by (RFC 9112 §6.1), so the head never announces another framing than the one that follows.
 */
export function requestHead(method: string, path: string, headers: UpstreamRequestHeaders, framing: string, host: string): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  for (const name in headers) {
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    const value = headers[name] as string | string[];
    if (name === 'host') hasHost = true;
    head += fieldLines(name, value);
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  return `${head}${framing}\r\n`;
}

/** Whether a request head says the connection closes after this exchange. */
export function requestWantsClose(headers: UpstreamRequestHeaders): boolean {
  const c = headers.connection;
  if (c === undefined) return false;
  const text = typeof c === 'string' ? c : c.join(',');
  return text
    .toLowerCase()
    .split(',')
    .some((t) => t.trim() === 'close');
}
