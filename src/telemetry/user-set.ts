import { encodeUserIds } from '../core/index.ts';

/** How a request's user was told apart: the route's sticky cookie or header, else the client's address. */
export type UserKeyKind = 'cookie' | 'header' | 'address';

const SLOT_BITS = 13;
const SLOTS = 1 << SLOT_BITS;

/** Distinct users one window keeps the ids of, at most; past it the window's user counts are a lower bound. */
export const MAX_USER_IDS = SLOTS / 2;

/**
 * The id of a user: 32-bit FNV-1a of the key (a sticky cookie's value, a sticky header's, or the
 * client's address), never 0 (0 means "no user known"). Over ASCII it equals {@link userIdOfBytes}
 * of the same text, so every data plane gives one user the same id. A 32-bit hash, not the key:
 * two users may share an id (about one pair in a million among 100 users), so counts err low.
 */
export function userIdOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

/** {@link userIdOf} over bytes `start` to `end` of a buffer (a log line's field), without making a string. */
export function userIdOfBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= buf[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

/**
 * A set of at most {@link MAX_USER_IDS} user ids, open addressing in a fixed array: adding
 * allocates nothing (it runs once per request on the balancer's hot path). An id that arrives
 * when the set is full is not kept, and `capped` says so.
 */
export class UserSet {
  // Twice the ids it holds: probes stay short (load factor ≤ 0.5).
  readonly #slots = new Uint32Array(SLOTS);
  #size = 0;
  /** An id was turned away because the set was full: `size` is a lower bound. */
  capped = false;

  get size(): number {
    return this.#size;
  }

  add(id: number): void {
    if (id === 0) return;
    const slots = this.#slots;
    // Fibonacci hashing: the top bits of id × 2^32/φ, spread even for ids that differ in few bits.
    let i = Math.imul(id, 0x9e3779b1) >>> (32 - SLOT_BITS);
    for (;;) {
      const v = slots[i] as number;
      if (v === id) return;
      if (v === 0) break;
      i = (i + 1) & (SLOTS - 1);
    }
    if (this.#size >= MAX_USER_IDS) {
      this.capped = true;
      return;
    }
    slots[i] = id;
    this.#size++;
  }

  /** The ids in their text form (`encodeUserIds`). */
  encode(): string {
    return encodeUserIds(this.#slots.filter((v) => v !== 0));
  }

  reset(): void {
    if (this.#size > 0) this.#slots.fill(0);
    this.#size = 0;
    this.capped = false;
  }
}
