// What a client makes of the bytes a proxy sent it: the responses, one after another, framed the
// way RFC 9112 §6.3 says a client frames them (interim 1xx skipped; 204 and 304 without a body;
// chunked when it is the final coding; Content-Length; otherwise until the connection closes).
// Deliberately small and independent of the parsers under test.

/** One response as the client read it. */
export interface ClientResponse {
  status: number;
  /** Header values by lower-case name. */
  headers: Map<string, string[]>;
  /** latin1 */
  body: string;
  /** The body ended by its framing (or by the close, for one without framing). */
  complete: boolean;
}

export interface ClientView {
  responses: ClientResponse[];
  /** Bytes after the last response that are not one (garbage, or a response cut short). */
  rest: string;
}

function lineEnd(s: string, from: number): number {
  return s.indexOf('\n', from);
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits `text` (latin1) into responses; `closed` when the proxy closed the connection after it. */
export function clientResponses(text: string, closed: boolean): ClientView {
  const responses: ClientResponse[] = [];
  let i = 0;
  while (i < text.length) {
    const first = lineEnd(text, i);
    if (first === -1) break;
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(trimCr(text.slice(i, first)));
    if (m === null) break;
    const headers = new Map<string, string[]>();
    let at = first + 1;
    let headEnd = -1;
    while (at <= text.length) {
      const e = lineEnd(text, at);
      if (e === -1) break;
      const line = trimCr(text.slice(at, e));
      at = e + 1;
      if (line === '') {
        headEnd = at;
        break;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    if (headEnd === -1) break;
    const status = Number(m[1]);
    if (status >= 100 && status < 200 && status !== 101) {
      i = headEnd;
      continue;
    }
    const te = (headers.get('transfer-encoding') ?? []).join(',').toLowerCase();
    const cl = headers.get('content-length')?.[0];
    if (status === 204 || status === 304) {
      responses.push({ status, headers, body: '', complete: true });
      i = headEnd;
    } else if (te.split(',').at(-1)?.trim() === 'chunked') {
      let body = '';
      let p = headEnd;
      let complete = false;
      for (;;) {
        const e = lineEnd(text, p);
        if (e === -1) break;
        const size = Number.parseInt(trimCr(text.slice(p, e)).split(';')[0] as string, 16);
        if (Number.isNaN(size)) break;
        p = e + 1;
        if (size === 0) {
          // Trailers, up to the empty line.
          let t = lineEnd(text, p);
          while (t !== -1 && trimCr(text.slice(p, t)) !== '') {
            p = t + 1;
            t = lineEnd(text, p);
          }
          if (t !== -1) {
            p = t + 1;
            complete = true;
          }
          break;
        }
        if (p + size > text.length) {
          body += text.slice(p);
          p = text.length;
          break;
        }
        body += text.slice(p, p + size);
        p += size;
        const crlf = lineEnd(text, p);
        if (crlf === -1) break;
        p = crlf + 1;
      }
      responses.push({ status, headers, body, complete });
      i = p;
      if (!complete) break;
    } else if (cl !== undefined && te === '') {
      const n = Number(cl);
      const body = text.slice(headEnd, headEnd + n);
      responses.push({ status, headers, body, complete: body.length === n });
      i = headEnd + body.length;
      if (body.length < n) break;
    } else {
      responses.push({ status, headers, body: text.slice(headEnd), complete: closed });
      i = text.length;
    }
  }
  return { responses, rest: text.slice(i) };
}
