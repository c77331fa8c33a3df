// What a parser made of a byte stream, in a form both piper's parser and llhttp (through node:http)
// can be reduced to, and the rule that compares the two.

/** One message as a parser delimited it. Requests carry method and target, responses a status. */
export interface ParsedMessage {
  method: string;
  target: string;
  status: number;
  /** `1.0` or `1.1` (llhttp also reports 0.9 and others; piper refuses them). */
  version: string;
  keepAlive: boolean;
  /** llhttp handed the connection over (CONNECT, or Upgrade requested): bytes after it are not HTTP. */
  upgrade: boolean;
  /** The framing fields as sent (trimmed), in order: they decide where the body ends. */
  contentLength: string[];
  transferEncoding: string[];
  /** The body as latin1 (chunked framing removed). */
  body: string;
  /** The message ended; false when the input ran out or an error came inside it. */
  complete: boolean;
}

/**
 * How the stream ended after the last message: `idle` between messages, `partial` inside one
 * (the input ran out), `error` refused, `closed` after a message that ends the connection (what
 * follows it is never read), `upgrade` after a handed-over connection.
 */
export type StreamEnd = 'idle' | 'partial' | 'error' | 'closed' | 'upgrade';

export interface ParseOutcome {
  messages: ParsedMessage[];
  end: StreamEnd;
  /** Why it failed: piper's message, or llhttp's `HPE_*` code and reason. */
  error: string;
}

/**
 * `same`: the two agree. `piper-stricter`: piper refused where llhttp accepted (allowed).
 * `piper-lenient`: piper accepted what llhttp refused, for a reason that leaves framing alone, or
 * framed it as llhttp's lenient mode does (recorded). `unjudged-framing`: piper accepted framing
 * (a length field, a coding, a chunk size) that llhttp refuses even in its lenient mode, so there
 * is no llhttp boundary to compare with (recorded for review; the end-to-end suite judges what a
 * backend then sees). `lenient-framing`: piper accepted a message llhttp refused, and llhttp's
 * lenient mode puts its boundary elsewhere. `mismatch`: both accepted, but not the same messages
 * (boundary, body, method, target, framing fields). `split-mismatch`: piper read the bytes
 * differently when they came in pieces.
 */
export type Verdict = 'same' | 'piper-stricter' | 'piper-lenient' | 'unjudged-framing' | 'lenient-framing' | 'mismatch' | 'split-mismatch';

/** The verdicts that fail a case. */
export const FAILING_VERDICTS: ReadonlySet<Verdict> = new Set<Verdict>(['lenient-framing', 'mismatch', 'split-mismatch']);

export interface Comparison {
  verdict: Verdict;
  /** What differed, for a person. */
  detail: string;
}

// llhttp's refusals that concern where a body ends: the length fields and the chunk sizes. Its
// other refusals (line endings, characters, chunk extensions, methods) leave the boundaries alone.
const FRAMING_ERRORS = [
  'HPE_INVALID_CONTENT_LENGTH',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
  'HPE_INVALID_TRANSFER_ENCODING',
  'HPE_INVALID_CHUNK_SIZE',
];

/** Whether llhttp's error is about framing (the length or coding of a body, a chunk size). */
export function isFramingError(error: string): boolean {
  return FRAMING_ERRORS.some((code) => error.startsWith(code));
}

/** Piper accepted what llhttp refused: a framing leniency when llhttp refused on framing grounds. */
function leniency(llhttpError: string): Verdict {
  return isFramingError(llhttpError) ? 'lenient-framing' : 'piper-lenient';
}

/**
 * Cuts an outcome where the connection stops carrying HTTP messages: after a message that is not
 * kept alive, or after llhttp handed the connection over. `upgradeAt` cuts piper's outcome where
 * llhttp's upgraded (piper's parser does not know about upgrades: the balancer refuses them later).
 */
export function normalized(o: ParseOutcome, upgradeAt = -1): ParseOutcome {
  for (let i = 0; i < o.messages.length; i++) {
    const m = o.messages[i] as ParsedMessage;
    // node hands an upgrade over at the end of its head, whether or not a body was announced.
    const cutUpgrade = m.upgrade || i === upgradeAt;
    if (cutUpgrade || (m.complete && !m.keepAlive)) {
      return { messages: o.messages.slice(0, i + 1), end: cutUpgrade ? 'upgrade' : 'closed', error: '' };
    }
  }
  return o;
}

function describe(m: ParsedMessage): string {
  const start = m.status !== 0 ? `${m.status}` : `${m.method} ${m.target}`;
  return `${start} HTTP/${m.version} cl=${JSON.stringify(m.contentLength)} te=${JSON.stringify(m.transferEncoding)} body=${JSON.stringify(m.body)}${m.complete ? '' : ' (incomplete)'}`;
}

/** The first field in which two messages differ, or ''. */
function difference(p: ParsedMessage, o: ParsedMessage): string {
  if (p.method !== o.method) return 'method';
  if (p.target !== o.target) return 'target';
  if (p.status !== o.status) return 'status';
  if (p.version !== o.version) return 'version';
  if (p.contentLength.join('\n') !== o.contentLength.join('\n')) return 'content-length';
  if (p.transferEncoding.join('\n') !== o.transferEncoding.join('\n')) return 'transfer-encoding';
  // After an upgrade llhttp hands the bytes over: what a body would be is not llhttp's to say.
  if (o.upgrade) return '';
  if (p.body !== o.body) return 'body';
  if (p.complete !== o.complete) return 'end of message';
  // A response's keep-alive is not reported by node's client; a request's is.
  if (p.status === 0 && p.keepAlive !== o.keepAlive && !o.upgrade) return 'keep-alive';
  return '';
}

/**
 * Compares piper's outcome with llhttp's (both normalized here). Any framing leniency comes out as
 * `lenient-framing`; ParserDifferential (parser-differential.ts) then asks llhttp's lenient mode to settle it.
 */
export function compareOutcomes(piperRaw: ParseOutcome, llhttpRaw: ParseOutcome): Comparison {
  const llhttp = normalized(llhttpRaw);
  const upgradeAt = llhttp.end === 'upgrade' ? llhttp.messages.length - 1 : -1;
  const piper = normalized(piperRaw, upgradeAt);
  const n = Math.min(piper.messages.length, llhttp.messages.length);
  for (let i = 0; i < n; i++) {
    const p = piper.messages[i] as ParsedMessage;
    const o = llhttp.messages[i] as ParsedMessage;
    const field = difference(p, o);
    if (field === '') continue;
    const detail = `message ${i + 1} differs in ${field}: piper ${describe(p)}; llhttp ${describe(o)}`;
    // Piper closes where llhttp would keep the connection (RFC 9112 §9.3: `close` wins over an
    // HTTP/1.0 `keep-alive`): it reads nothing further, so no boundary after it can differ.
    if (field === 'keep-alive' && !p.keepAlive && i === piper.messages.length - 1) {
      return { verdict: 'piper-stricter', detail };
    }
    const bodyField = field === 'body' || field === 'end of message';
    const lastOfBoth = i === piper.messages.length - 1 && i === llhttp.messages.length - 1;
    // Both refused this message inside its body: how much of a refused body each read moves no boundary.
    if (bodyField && lastOfBoth && piper.end === 'error' && llhttp.end === 'error') return { verdict: 'same', detail: '' };
    // llhttp refused inside this body and piper read on past that point: a leniency.
    if (bodyField && llhttp.end === 'error' && i === llhttp.messages.length - 1 && p.body.startsWith(o.body)) {
      return { verdict: leniency(llhttp.error), detail: `${detail}; llhttp: ${llhttp.error}` };
    }
    // Piper refused inside this body where llhttp read on: piper is stricter.
    if (bodyField && piper.end === 'error' && i === piper.messages.length - 1 && o.body.startsWith(p.body)) {
      return { verdict: 'piper-stricter', detail: `${detail}; piper: ${piper.error}` };
    }
    return { verdict: 'mismatch', detail };
  }
  if (piper.messages.length < llhttp.messages.length) {
    const o = llhttp.messages[n] as ParsedMessage;
    if (piper.end === 'error')
      return { verdict: 'piper-stricter', detail: `piper refused message ${n + 1} (${piper.error}); llhttp read ${describe(o)}` };
    return { verdict: 'mismatch', detail: `piper ended ${piper.end} after ${n} message(s); llhttp read another: ${describe(o)}` };
  }
  if (piper.messages.length > llhttp.messages.length) {
    const p = piper.messages[n] as ParsedMessage;
    if (llhttp.end === 'error') {
      return { verdict: leniency(llhttp.error), detail: `llhttp refused message ${n + 1} (${llhttp.error}); piper read ${describe(p)}` };
    }
    return { verdict: 'mismatch', detail: `llhttp ended ${llhttp.end} after ${n} message(s); piper read another: ${describe(p)}` };
  }
  if (piper.end === llhttp.end) return { verdict: 'same', detail: '' };
  if (piper.end === 'error') return { verdict: 'piper-stricter', detail: `piper: ${piper.error}; llhttp ended ${llhttp.end}` };
  // llhttp refused the start of a message piper is still waiting on (or took as idle): piper
  // accepted nothing llhttp refused yet.
  if (llhttp.end === 'error') return { verdict: 'piper-lenient', detail: `llhttp: ${llhttp.error}; piper ended ${piper.end}` };
  return { verdict: 'mismatch', detail: `piper ended ${piper.end}, llhttp ${llhttp.end}` };
}

/** Bytes as a JavaScript string literal (latin1), for reproducing a case by hand. */
export function escaped(bytes: Buffer): string {
  let out = '';
  for (const c of bytes) {
    if (c === 0x0d) out += '\\r';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `'${out}'`;
}
