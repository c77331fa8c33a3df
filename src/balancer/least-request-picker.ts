import type { Random } from '../core/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';

/** Chooses a backend for a request among a pool's backends. */
export interface BackendPicker {
  /** A routable backend not in `exclude`, or null when there is none. */
  pick(backends: readonly BackendRuntime[], exclude: BackendRuntime | null): BackendRuntime | null;
}

/**
 * Power of two choices, least request, weighted (Envoy's LEAST_REQUEST with choice_count 2 and
 * active_request_bias 1): draw two routable backends at random and keep the one with the higher
 * `effectiveWeight / (inFlight + 1)`. Slow start lowers a fresh backend's effective weight.
 */
export class LeastRequestPicker implements BackendPicker {
  readonly #random: Random;
  readonly #now: () => number;
  readonly #slowStartMs: number;

  constructor(options: { random: Random; now: () => number; slowStartMs: number }) {
    this.#random = options.random;
    this.#now = options.now;
    this.#slowStartMs = options.slowStartMs;
  }

  pick(backends: readonly BackendRuntime[], exclude: BackendRuntime | null): BackendRuntime | null {
    // Draws among the candidates by their rank in `backends`, without collecting them in an array:
    // an array emptied with `length = 0` drops its backing store, so every pick allocated ~150 bytes.
    let n = 0;
    for (const b of backends) if (b.routable && b !== exclude) n++;
    if (n === 0) return null;
    if (n === 1) return candidate(backends, exclude, 0) as BackendRuntime;
    const i = this.#random.int(n);
    let j = this.#random.int(n - 1);
    if (j >= i) j++;
    const a = candidate(backends, exclude, i) as BackendRuntime;
    const b = candidate(backends, exclude, j) as BackendRuntime;
    return this.#score(a) >= this.#score(b) ? a : b;
  }

  #score(b: BackendRuntime): number {
    const weight = this.#slowStartMs > 0 ? b.effectiveWeight(this.#now(), this.#slowStartMs) : b.weight;
    return weight / (b.inFlight + 1);
  }
}

/** The `rank`-th (from 0) routable backend other than `exclude`. */
function candidate(backends: readonly BackendRuntime[], exclude: BackendRuntime | null, rank: number): BackendRuntime | undefined {
  let k = rank;
  for (const b of backends) if (b.routable && b !== exclude && k-- === 0) return b;
  return undefined;
}
