import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a signed-in browser may do: `admin` acts, `read` only looks. */
export type DashboardRole = 'admin' | 'read';

/** One signed-in browser. The id lives only in an HttpOnly cookie; the CSRF token is given to the page. */
export interface DashboardSession {
  readonly id: string;
  readonly role: DashboardRole;
  readonly csrfToken: string;
  readonly createdAt: number;
  /** Epoch ms after which the session is gone, pushed forward by use up to `createdAt + maxAgeMs`. */
  expiresAt: number;
}

/** The wall clock the store reads; structurally core's Clock (the dashboard imports nothing of ours). */
export interface DashboardClock {
  now(): number;
}

export interface SessionStoreOptions {
  clock: DashboardClock;
  /** A session unused this long expires. */
  idleMs?: number;
  /** No session outlives this, used or not. */
  maxAgeMs?: number;
  /** Sessions held at once; the one expiring first is dropped to make room. */
  maxSessions?: number;
}

/**
 * Server-side session map. Ids come from the OS CSPRNG (not the injectable Random: they are
 * secrets, never replayed in tests). Expired sessions are swept on access, so no timer is held.
 */
export class SessionStore {
  readonly idleMs: number;
  readonly maxAgeMs: number;
  readonly #clock: DashboardClock;
  readonly #maxSessions: number;
  readonly #sessions = new Map<string, DashboardSession>();

  constructor(options: SessionStoreOptions) {
    this.#clock = options.clock;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 12 * 3_600_000;
    this.#maxSessions = options.maxSessions ?? 1000;
  }

  /** Sessions currently held (expired ones included until the next sweep). */
  get size(): number {
    return this.#sessions.size;
  }

  create(role: DashboardRole): DashboardSession {
    this.#sweep();
    if (this.#sessions.size >= this.#maxSessions) this.#dropSoonestExpiring();
    const now = this.#clock.now();
    const session: DashboardSession = {
      id: randomBytes(32).toString('base64url'),
      role,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now,
      expiresAt: Math.min(now + this.idleMs, now + this.maxAgeMs),
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle expiry pushed forward; undefined when unknown or expired. */
  touch(id: string | undefined): DashboardSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.#clock.now();
    if (now >= session.expiresAt) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.expiresAt = Math.min(now + this.idleMs, session.createdAt + this.maxAgeMs);
    return session;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [id, s] of this.#sessions) if (now >= s.expiresAt) this.#sessions.delete(id);
  }

  #dropSoonestExpiring(): void {
    let victim: DashboardSession | undefined;
    for (const s of this.#sessions.values()) if (victim === undefined || s.expiresAt < victim.expiresAt) victim = s;
    if (victim !== undefined) this.#sessions.delete(victim.id);
  }
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: the
 * SHA-256 digests are compared, which are always 32 bytes.
 */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
