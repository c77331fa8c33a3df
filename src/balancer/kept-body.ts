import { Readable } from 'node:stream';
import type { BodyBufferBudget } from './body-buffer-budget.ts';
import type { RequestBody } from './downstream-request.ts';

/**
 * A request body that arrived in full before its request was forwarded (read ahead within
 * `requestBody.buffer`), kept so that the request can be sent again: a retry on another backend,
 * or a rollback's rescue on the source pool. Each attempt streams the same bytes; the framing is
 * still the one the client's body was read by (`contentLength`), so nothing about it changes.
 * The bytes count against the budget of all bodies held (`requestBody.bufferTotal`) until
 * `release`: without that, bodies kept for slow backends would hold memory nothing bounds.
 */
export class KeptBody {
  readonly #chunks: readonly Buffer[];
  readonly #bytes: number;
  #budget: BodyBufferBudget | null;

  private constructor(chunks: readonly Buffer[], bytes: number, budget: BodyBufferBudget) {
    this.#chunks = chunks;
    this.#bytes = bytes;
    this.#budget = budget;
  }

  /**
   * Takes the whole of `body` out of its stream, or null (the body left as it was, to stream once)
   * when it has not arrived in full or the budget is spent.
   */
  static keep(body: RequestBody, budget: BodyBufferBudget): KeptBody | null {
    if (!body.complete || body.destroyed) return null;
    const bytes = body.readableLength;
    if (!budget.take(bytes)) {
      budget.give(bytes);
      return null;
    }
    const chunks: Buffer[] = [];
    for (let chunk = body.read() as Buffer | null; chunk !== null; chunk = body.read() as Buffer | null) chunks.push(chunk);
    return new KeptBody(chunks, bytes, budget);
  }

  /** A fresh stream of the body, for one attempt. */
  stream(): Readable {
    return Readable.from(this.#chunks, { objectMode: false });
  }

  /** No attempt will follow: the bytes go back to the budget. Idempotent. */
  release(): void {
    this.#budget?.give(this.#bytes);
    this.#budget = null;
  }
}
