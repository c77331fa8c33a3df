import { type Http1Headers, Http1Parser, type Http1ParserHandler } from '../../src/http1/index.ts';
import type { ParsedMessage, ParseOutcome } from './parse-outcome.ts';

/** Which side of a connection a byte stream comes from. */
export type Role = 'request' | 'response';

function listOf(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map((s) => s.trim()) : [v.trim()];
}

/** Collects what the parser reports into {@link ParsedMessage}s. */
class Collector implements Http1ParserHandler {
  parser: Http1Parser | null = null;
  readonly messages: ParsedMessage[] = [];
  #body: Buffer[] = [];

  onMessageHead(headers: Http1Headers): void {
    const p = this.parser as Http1Parser;
    this.#body = [];
    this.messages.push({
      method: p.method,
      target: p.target,
      status: p.status,
      version: p.http10 ? '1.0' : '1.1',
      keepAlive: p.keepAlive,
      upgrade: false,
      contentLength: listOf(headers['content-length']),
      transferEncoding: listOf(headers['transfer-encoding']),
      body: '',
      complete: false,
    });
  }

  onMessageBody(buf: Buffer, start: number, end: number): void {
    this.#body.push(Buffer.from(buf.subarray(start, end)));
    const m = this.messages[this.messages.length - 1] as ParsedMessage;
    m.body = Buffer.concat(this.#body).toString('latin1');
  }

  onMessageComplete(): void {
    const m = this.messages[this.messages.length - 1] as ParsedMessage;
    m.complete = true;
  }
}

/**
 * Runs piper's HTTP/1.1 parser over `bytes` the way the balancer drives it: requests one after
 * another on a kept-alive connection (reset after each, stopping after one that closes it); for a
 * response, the first final one, ended by the peer's close when its body runs until then. `cuts`
 * feeds the bytes in pieces (offsets where a read ends), as a socket might deliver them.
 */
export function piperParse(role: Role, bytes: Buffer, cuts: readonly number[] = []): ParseOutcome {
  const c = new Collector();
  const p = new Http1Parser(c, role);
  c.parser = p;
  if (role === 'response') p.reset(false);
  const bounds = [...cuts.filter((x) => x > 0 && x < bytes.length), bytes.length].sort((a, b) => a - b);
  let from = 0;
  for (const to of bounds) {
    let i = from;
    while (i < to) {
      i = p.execute(bytes, i, to);
      if (p.failed) return { messages: c.messages, end: 'error', error: p.error };
      if (!p.done) continue;
      if (role === 'response' || !p.keepAlive) return { messages: c.messages, end: 'closed', error: '' };
      p.reset();
    }
    from = to;
  }
  if (role === 'response' && p.finishOnClose()) return { messages: c.messages, end: 'closed', error: '' };
  if (role === 'response') return { messages: c.messages, end: p.done ? 'closed' : 'partial', error: '' };
  return { messages: c.messages, end: p.idle ? 'idle' : 'partial', error: '' };
}
