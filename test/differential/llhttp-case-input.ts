// llhttp's test cases write their input as a markdown code block: one line per line of the
// message, a line break meaning CRLF, and backslash escapes for what a line cannot show. This
// turns that notation (as held in llhttp-corpus.ts) into the bytes the case sends.

/** One case of llhttp's markdown test suite, its input kept in llhttp's notation. */
export interface LlhttpCase {
  /** The file it comes from, under llhttp's `test/`. */
  file: string;
  /** The case's heading in that file. */
  title: string;
  role: 'request' | 'response';
  /** The input block as written there; {@link llhttpInput} turns it into bytes. */
  http: string;
}

/**
 * Keeps a block as written, backslashes and line breaks and all (the corpus files' tag: String.raw
 * under a name that says what it holds).
 */
export const block = String.raw;

const BACKSLASH = '\\';

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/**
 * The bytes of a case's input block: the block's last line break dropped, a backslash before a
 * line break joins the lines, every other line break is CRLF, `\r` `\n` `\t` `\f` are those
 * characters, `\xHH…` a character in hex, `\NNN` one in octal (1 to 3 digits), any other
 * backslash is itself. The text is then sent as UTF-8, as llhttp's own test harness sends it (so
 * `\xff` goes out as two bytes).
 */
export function llhttpInput(block: string): Buffer {
  const text = block.endsWith('\n') ? block.slice(0, -1) : block;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      out += '\r\n';
      continue;
    }
    if (c !== BACKSLASH) {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '\n') {
      i++;
    } else if (next === 'r' || next === 'n' || next === 't' || next === 'f') {
      out += { r: '\r', n: '\n', t: '\t', f: '\f' }[next];
      i++;
    } else if (next === 'x' && isHex(text[i + 2])) {
      let j = i + 2;
      while (isHex(text[j])) j++;
      out += String.fromCharCode(Number.parseInt(text.slice(i + 2, j), 16));
      i = j - 1;
    } else if (isOctal(next)) {
      let j = i + 1;
      while (j < i + 4 && isOctal(text[j])) j++;
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, j), 8));
      i = j - 1;
    } else {
      out += c;
    }
  }
  return Buffer.from(out, 'utf8');
}
