import { LlhttpOracle } from './llhttp-oracle.ts';
import { type Comparison, compareOutcomes, type ParseOutcome } from './parse-outcome.ts';
import { piperParse, type Role } from './piper-parse.ts';

/** One input through both parsers, and the verdict. */
export interface DifferentialResult extends Comparison {
  piper: ParseOutcome;
  llhttp: ParseOutcome;
}

/**
 * Piper's parser against llhttp on one input. llhttp's lenient mode is asked only when piper
 * accepted, on framing grounds, what strict llhttp refused: if lenient llhttp frames it as piper
 * does, the leniency moves no boundary; if it frames it otherwise, that fails; if it refuses too,
 * the case is left unjudged. With `cuts`, piper also reads the input in pieces, and must read it
 * as it read it whole.
 */
export class ParserDifferential {
  readonly #strict: LlhttpOracle;
  readonly #lenient: LlhttpOracle;

  private constructor(strict: LlhttpOracle, lenient: LlhttpOracle) {
    this.#strict = strict;
    this.#lenient = lenient;
  }

  static async start(): Promise<ParserDifferential> {
    const [strict, lenient] = await Promise.all([LlhttpOracle.start(false), LlhttpOracle.start(true)]);
    return new ParserDifferential(strict, lenient);
  }

  async close(): Promise<void> {
    await Promise.all([this.#strict.close(), this.#lenient.close()]);
  }

  async run(role: Role, bytes: Buffer, cuts: readonly number[] = []): Promise<DifferentialResult> {
    const piper = piperParse(role, bytes);
    if (cuts.length > 0) {
      const pieces = piperParse(role, bytes, cuts);
      if (JSON.stringify(pieces) !== JSON.stringify(piper)) {
        return { verdict: 'split-mismatch', detail: `cut at ${cuts.join(',')}: ${JSON.stringify(pieces)}`, piper, llhttp: piper };
      }
    }
    const llhttp = await this.#ask(this.#strict, role, bytes);
    const cmp = compareOutcomes(piper, llhttp);
    if (cmp.verdict !== 'lenient-framing') return { ...cmp, piper, llhttp };
    const lenientOutcome = await this.#ask(this.#lenient, role, bytes);
    const lenient = compareOutcomes(piper, lenientOutcome).verdict;
    if (lenient === 'mismatch' && role === 'request' && (await this.#readsUntilClose(bytes, lenientOutcome))) {
      const why = "llhttp's lenient mode reads that request's body until the connection closes, which no request may do (RFC 9112 §6.3)";
      return { verdict: 'unjudged-framing', detail: `${cmp.detail}; ${why}`, piper, llhttp };
    }
    if (lenient === 'mismatch') return { ...cmp, detail: `${cmp.detail}; llhttp's lenient mode frames it otherwise`, piper, llhttp };
    if (lenient === 'lenient-framing')
      return { verdict: 'unjudged-framing', detail: `${cmp.detail}; llhttp refuses it in lenient mode too`, piper, llhttp };
    return { verdict: 'piper-lenient', detail: `${cmp.detail}; llhttp's lenient mode frames it the same`, piper, llhttp };
  }

  /**
   * Whether lenient llhttp read a request body to the end of the input (how it reads a coding it
   * does not know): with more bytes after the input, some body it read grows.
   */
  async #readsUntilClose(bytes: Buffer, lenient: ParseOutcome): Promise<boolean> {
    const probe = await this.#lenient.request(Buffer.concat([bytes, Buffer.from('\r\n\r\nxxxxxxxx')]));
    return lenient.messages.some((m, i) => (probe.messages[i]?.body.length ?? 0) > m.body.length);
  }

  #ask(o: LlhttpOracle, role: Role, bytes: Buffer): Promise<ParseOutcome> {
    return role === 'request' ? o.request(bytes) : o.response(bytes);
  }
}
