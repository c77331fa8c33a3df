/** Randomness, injected, so a seeded run repeats exactly. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * A seeded generator (sfc32, from PractRand): fast, 128 bits of state, good enough for load
 * picking and jitter. Not for secrets.
 */
export class SeededRandom implements Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    // Discard the first outputs: sfc32's early values still echo the seed.
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    let a = this.#a;
    let b = this.#b;
    let c = this.#c;
    let d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The process's own randomness, for production use. */
export class SystemRandom implements Random {
  next(): number {
    return Math.random();
  }

  int(n: number): number {
    return Math.floor(Math.random() * n);
  }
}
