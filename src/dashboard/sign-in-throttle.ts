import type { DashboardClock } from './session-store.ts';

export interface SignInThrottleOptions {
  clock: DashboardClock;
  /** Sign-ins from one client address that may fail (or be under way) within `windowMs`. */
  maxFailures?: number;
  /** The same for all addresses together: guessing from many addresses meets this one. */
  maxGlobalFailures?: number;
  windowMs?: number;
  /** Addresses tracked at once; beyond it the oldest entry is forgotten (memory stays bounded). */
  maxClients?: number;
}

/** One sign-in that holds a slot from before its body is read until it is settled. */
export interface SignInAttempt {
  /** The token was wrong: the slot stays used until the window ends. */
  failed(): void;
  /** The token was right, or no token was evaluated (bad body, client gone): the slot is given back. */
  release(): void;
}

/** What `begin` answers: an attempt to settle, or how long to wait. */
export type SignInAdmission = { attempt: SignInAttempt } | { retryAfterMs: number };

interface Window {
  start: number;
  failures: number;
  /** Attempts begun and not yet settled; they carry over into the next window. */
  pending: number;
}

/**
 * Slows token guessing. An attempt takes its slot when it begins, before its body is read, so
 * concurrent attempts are counted as they arrive: at most `maxFailures` tokens from one address
 * (and `maxGlobalFailures` from all) are ever evaluated wrongly per window. A success gives back
 * only its own slot and never clears failures, so holding one token (the read-only one, say) buys
 * no extra guesses at another. Counting per address keeps one noisy client from locking out the
 * operator elsewhere; the global count is what a guesser with many addresses runs into.
 */
export class SignInThrottle {
  readonly windowMs: number;
  readonly #clock: DashboardClock;
  readonly #maxFailures: number;
  readonly #maxGlobalFailures: number;
  readonly #maxClients: number;
  readonly #clients = new Map<string, Window>();
  readonly #global: Window;

  constructor(options: SignInThrottleOptions) {
    this.#clock = options.clock;
    this.#maxFailures = options.maxFailures ?? 10;
    this.#maxGlobalFailures = options.maxGlobalFailures ?? 100;
    this.windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#global = { start: this.#clock.now(), failures: 0, pending: 0 };
  }

  /** Addresses tracked now (for tests: stays at or under `maxClients`). */
  get trackedClients(): number {
    return this.#clients.size;
  }

  /** Takes a slot for a sign-in from `address`, or says how long to wait when none is left. */
  begin(address: string): SignInAdmission {
    const now = this.#clock.now();
    const global = this.#roll(this.#global, now);
    const client = this.#client(address, now);
    const waits: number[] = [];
    if (client.failures + client.pending >= this.#maxFailures) waits.push(client.start + this.windowMs - now);
    if (global.failures + global.pending >= this.#maxGlobalFailures) waits.push(global.start + this.windowMs - now);
    if (waits.length > 0) return { retryAfterMs: Math.max(1, ...waits) };
    client.pending += 1;
    global.pending += 1;
    let settled = false;
    const settle = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      const at = this.#clock.now();
      for (const w of [this.#roll(client, at), this.#roll(global, at)]) {
        w.pending -= 1;
        if (failed) w.failures += 1;
      }
    };
    return { attempt: { failed: () => settle(true), release: () => settle(false) } };
  }

  #client(address: string, now: number): Window {
    const known = this.#clients.get(address);
    if (known !== undefined) return this.#roll(known, now);
    if (this.#clients.size >= this.#maxClients) this.#forgetOne(now);
    const fresh: Window = { start: now, failures: 0, pending: 0 };
    this.#clients.set(address, fresh);
    return fresh;
  }

  /** Drops an entry with nothing to remember, else the oldest (its attempts still settle on it). */
  #forgetOne(now: number): void {
    for (const [address, w] of this.#clients) {
      if (this.#roll(w, now).failures === 0 && w.pending === 0) {
        this.#clients.delete(address);
        return;
      }
    }
    const oldest = this.#clients.keys().next();
    if (oldest.done !== true) this.#clients.delete(oldest.value);
  }

  #roll(w: Window, now: number): Window {
    if (now - w.start >= this.windowMs) {
      w.start = now;
      w.failures = 0;
    }
    return w;
  }
}
