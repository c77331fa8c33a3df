import { hostname } from 'node:os';
import { type Clock, type Logger, silentLogger, type TimerHandle } from '../core/index.ts';
import type { Journal } from './journal.ts';
import type { LeaseFence, LeaseRecord } from './lease.ts';

/** The lease control planes campaign for, unless told another. */
export const CONTROL_LEASE = 'control';

/** Options of {@link Leadership}. */
export interface LeadershipOptions {
  journal: Pick<Journal, 'acquireLease' | 'releaseLease' | 'readLease' | 'append'>;
  clock: Clock;
  /** This control plane's name in the lease (`control.name`); `hostname:pid` when absent. */
  name?: string;
  /** How long a lease lasts unrenewed (`control.lease`, default 2 s); it is renewed every quarter of it. */
  ttlMs?: number;
  /** The URL followers name when they refuse a write (`control.advertiseUrl`). */
  advertiseUrl?: string;
  /** Lease name (default `control`). */
  lease?: string;
  logger?: Logger;
}

/** Who leads, as a follower tells a client. */
export interface LeaderInfo {
  holder: string;
  term: number;
  /** The URL it advertises, or null. */
  url: string | null;
  /** True when that is this process. */
  self: boolean;
}

/** A change of this process's leadership: `term` is the term it took, or the one it lost. */
export type LeadershipChange = { leading: true; term: number } | { leading: false; term: number; reason: LostReason };

type LostReason = 'expired' | 'taken' | 'stopped';

/** A name unique to this process on this host, for a control plane that was given none. */
export function defaultHolderName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * One control plane's campaign for the leader lease in the journal (docs/adr/0004-leader-lease.md):
 * it tries to take or renew the lease every quarter of its length, and says when it becomes
 * leader or stops being one. `holds()` is measured on this process's monotonic clock from when
 * the last successful renewal was SENT, less a margin, so it turns false before the database's
 * expiry: a process stopped (SIGSTOP, a long pause) for longer than the lease knows it lost it
 * the moment it runs again, before any of its timers acts on the old term.
 */
export class Leadership {
  readonly name: string;
  readonly lease: string;
  readonly ttlMs: number;
  readonly #journal: LeadershipOptions['journal'];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #info: Record<string, unknown>;
  readonly #marginMs: number;
  readonly #listeners = new Set<(change: LeadershipChange) => void>();
  #timer: TimerHandle | undefined;
  /** The term this process leads at, or null. */
  #term: number | null = null;
  #renewSentAt = 0;
  /** The lease as the last campaign found it. */
  #seen: LeaseRecord | null = null;
  #closed = false;

  constructor(o: LeadershipOptions) {
    this.name = o.name ?? defaultHolderName();
    this.lease = o.lease ?? CONTROL_LEASE;
    this.ttlMs = o.ttlMs ?? 2_000;
    this.#journal = o.journal;
    this.#clock = o.clock;
    this.#log = (o.logger ?? silentLogger()).child({ part: 'leadership', holder: this.name });
    this.#info = o.advertiseUrl === undefined ? {} : { url: o.advertiseUrl };
    // Room for the renewal's round trip and for the rates of this clock and the database's to differ.
    this.#marginMs = Math.max(50, this.ttlMs / 10);
  }

  /** Campaigns now, then every quarter of the lease. */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#campaign();
    this.#timer = this.#clock.setInterval(() => this.#campaign(), Math.max(1, Math.floor(this.ttlMs / 4)));
  }

  /** True only while the last renewal, sent less than the lease (less a margin) ago, succeeded. Check it before acting. */
  holds(): boolean {
    return this.#term !== null && this.#clock.monotonic() < this.#renewSentAt + this.ttlMs - this.#marginMs;
  }

  /** What this leader's writes carry (a fenced journal, a split's term), or null when it does not lead. */
  fence(): LeaseFence | null {
    return this.#term === null ? null : { lease: this.lease, holder: this.name, term: this.#term };
  }

  /** The leader as the last campaign found it (this process or another), or null when none holds the lease. */
  leader(): LeaderInfo | null {
    if (this.holds() && this.#term !== null) {
      return { holder: this.name, term: this.#term, url: urlOf(this.#info), self: true };
    }
    const seen = this.#seen;
    if (seen === null || seen.holder === this.name) return null;
    return { holder: seen.holder, term: seen.term, url: urlOf(seen.info), self: false };
  }

  /** Calls `listener` on every change of this process's leadership; returns the unsubscribe. */
  onChange(listener: (change: LeadershipChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops campaigning and, when leading, releases the lease so a follower need not wait for it to expire. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    if (this.#term === null) return;
    const wasHeld = this.holds();
    this.#lose(wasHeld ? 'stopped' : 'expired');
    if (!wasHeld) return;
    try {
      this.#journal.releaseLease(this.lease, this.name);
    } catch (err) {
      this.#log.warn({ err }, 'could not release the lease; followers wait for it to expire');
    }
  }

  #campaign(): void {
    if (this.#closed) return;
    // Past the lease since the last renewal was sent (stopped, or the database slow): step down before anything else runs.
    if (this.#term !== null && !this.holds()) this.#lose('expired');
    const sentAt = this.#clock.monotonic();
    let before: LeaseRecord | null = null;
    let answer: ReturnType<LeadershipOptions['journal']['acquireLease']>;
    try {
      if (this.#term === null) before = this.#journal.readLease(this.lease);
      answer = this.#journal.acquireLease(this.lease, this.name, this.ttlMs, this.#info);
    } catch (err) {
      this.#log.warn({ err }, 'lease campaign failed; retrying');
      // A call that failed slowly (the database gone, up to its timeout) may have outlasted the lease.
      if (this.#term !== null && !this.holds()) this.#lose('expired');
      return;
    }
    this.#seen = answer;
    if (!answer.held) {
      if (this.#term !== null) this.#lose('taken');
      return;
    }
    // Taken back at a new term (it lapsed in between): what was done under the old term is fenced now.
    if (this.#term !== null && this.#term !== answer.term) this.#lose('expired');
    this.#renewSentAt = sentAt;
    if (this.#term === null) this.#elect(answer.term, before);
  }

  #elect(term: number, before: LeaseRecord | null): void {
    this.#term = term;
    this.#log.info({ term, previous: before?.holder }, 'became leader');
    const previous = before === null ? {} : { previous: before.holder, previousTerm: before.term };
    const url = urlOf(this.#info);
    try {
      this.#journal.append(
        {
          kind: 'leader.elected',
          source: 'journal',
          subject: this.lease,
          actor: this.name,
          data: { holder: this.name, term, ...(url === null ? {} : { url }), ...previous },
        },
        { lease: this.lease, holder: this.name, term },
      );
    } catch (err) {
      this.#log.warn({ err, term }, 'could not journal leader.elected');
    }
    this.#emit({ leading: true, term });
  }

  #lose(reason: LostReason): void {
    const term = this.#term;
    if (term === null) return;
    this.#term = null;
    this.#log.warn({ term, reason }, 'lost leadership');
    try {
      this.#journal.append({
        kind: 'leader.lost',
        source: 'journal',
        subject: this.lease,
        actor: this.name,
        data: { holder: this.name, term, reason },
      });
    } catch (err) {
      this.#log.warn({ err, term }, 'could not journal leader.lost');
    }
    this.#emit({ leading: false, term, reason });
  }

  #emit(change: LeadershipChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#log.error({ err }, 'leadership listener failed');
      }
    }
  }
}

function urlOf(info: Record<string, unknown>): string | null {
  return typeof info.url === 'string' ? info.url : null;
}
