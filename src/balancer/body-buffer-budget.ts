/**
 * The memory all request bodies held by the balancer may take together: those being read ahead of
 * admission, and those kept whole for a retry (`KeptBody`). Each body is bounded by its own buffer
 * (`requestBody.buffer`); this bounds their sum, so that many clients sending bodies slowly, or
 * many requests waiting on slow backends, cannot fill the process's memory. Once it is spent, a
 * body stops reading ahead and is admitted as it stands (see `RequestBody.readAhead`), and a body
 * that arrived whole is streamed once instead of kept.
 */
export class BodyBufferBudget {
  /** Bytes all bodies may hold at once (changed by a reload). */
  cap: number;
  #held = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }

  /** Counts `bytes` that arrived; false when the budget is now spent (they are counted all the same). */
  take(bytes: number): boolean {
    this.#held += bytes;
    return this.#held <= this.cap;
  }

  /** Returns bytes counted by `take`. */
  give(bytes: number): void {
    this.#held -= bytes;
  }
}
