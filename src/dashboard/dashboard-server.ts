import type { IncomingMessage, ServerResponse } from 'node:http';
import { replyError, replyJson } from './http-reply.ts';
import { isLoopbackAddress, isLoopbackHost, ListenerHosts } from './listener-hosts.ts';
import { isSameOrigin } from './request-origin.ts';
import { type DashboardClock, type DashboardRole, type DashboardSession, SessionStore, secretEquals } from './session-store.ts';
import { SignInThrottle } from './sign-in-throttle.ts';
import { StaticAssets } from './static-assets.ts';

/**
 * The control-plane API the dashboard forwards to: a node:http handler of the control-plane layer (the dashboard
 * imports nothing of ours). Answers true when it handled the request.
 */
export type DashboardApi = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface DashboardHandlerOptions {
  api: DashboardApi;
  /** The admin API's tokens: signing in with `admin` allows actions, with `read` only reading. */
  tokens: { admin?: string | undefined; read?: string | undefined };
  clock?: DashboardClock;
  /** A session unused this long expires (default 30 min). */
  sessionIdleMs?: number;
  /** No session outlives this (default 12 h). */
  sessionMaxAgeMs?: number;
  /** Where the page's files are (default: `web/` beside this module). */
  assetsRoot?: URL;
  /**
   * Host names the listener answers to besides the address it is reached on (and loopback
   * names when that is loopback): `dashboard.allowedHosts`. Any other Host gets 421.
   */
  allowedHosts?: readonly string[];
  /** Told of every failure answered with 500 (`piper up` logs it); the browser gets only the code. */
  onError?: (err: unknown, what: string) => void;
}

/** A node:http request handler that also exposes its session store (for tests and `piper up` metrics). */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly sessions: SessionStore;
  /** Live streams (SSE) forwarded now. */
  readonly openStreams: number;
  /** Ends every forwarded stream (they would keep the listener from closing); idempotent. */
  close(): void;
}

/**
 * `/auth/session` as the page reads it: `{ role: null }` when signed out (GET), else the session's
 * role, the CSRF token to send on writes, when it expires and how long it may sit unused.
 */
export type SessionAnswer = { role: null } | { role: DashboardRole; csrfToken: string; expiresAt: number; idleMs: number };

/** Name of the session cookie; its value is the session id and nothing else. */
export const SESSION_COOKIE = 'piper_session';
/** Header the page sends its per-session CSRF token in, on every request that is not GET/HEAD. */
export const CSRF_HEADER = 'x-piper-csrf';

const SIGN_IN_BODY_LIMIT = 4096;
const systemClock: DashboardClock = { now: () => Date.now() };

/**
 * The dashboard listener: the page's assets, sign-in with the admin or read-only token into a
 * server-side session (HttpOnly, SameSite=Strict cookie), and `/api/v1/*` (SSE streams included)
 * forwarded to the control-plane API once the session, the CSRF token and the role allow it.
 */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const clock = options.clock ?? systemClock;
  const sessions = new SessionStore({
    clock,
    ...(options.sessionIdleMs === undefined ? {} : { idleMs: options.sessionIdleMs }),
    ...(options.sessionMaxAgeMs === undefined ? {} : { maxAgeMs: options.sessionMaxAgeMs }),
  });
  const throttle = new SignInThrottle({ clock });
  const assets = new StaticAssets(options.assetsRoot);
  const hosts = new ListenerHosts(options.allowedHosts);
  const { api, tokens } = options;
  const onError = options.onError ?? ((): void => undefined);
  // Forwarded event streams by session: signing out ends them, and close() ends them all.
  const streams = new Map<string, Set<ServerResponse>>();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      replyError(res, 400, 'PIPER_DASHBOARD_BAD_REQUEST', 'the request target is not a valid URL');
      return;
    }
    // DNS rebinding: a page on the attacker's name, resolved to this listener, is same-origin
    // to its browser; only the Host header tells it apart.
    if (!hosts.accepts(req)) {
      replyError(
        res,
        421,
        'PIPER_DASHBOARD_MISDIRECTED_REQUEST',
        'this listener does not answer to that Host; add the name to dashboard.allowedHosts',
      );
      return;
    }
    const method = req.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';
    if (url.pathname === '/auth/session') return authSession(req, res, method);
    if (url.pathname.startsWith('/api/v1/')) return forward(req, res, url, reading);
    const asset = StaticAssets.assetPath(url.pathname);
    if (asset !== undefined) {
      if (!reading) {
        replyError(res, 405, 'PIPER_DASHBOARD_METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`, { allow: 'GET, HEAD' });
        return;
      }
      if (await assets.serve(asset, req, res)) return;
    }
    replyError(res, 404, 'PIPER_DASHBOARD_NOT_FOUND', `no such page: ${url.pathname}`);
  }

  async function authSession(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method === 'POST') return signIn(req, res);
    const session = sessions.touch(cookieValue(req, SESSION_COOKIE));
    if (method === 'GET' || method === 'HEAD') {
      // 200 either way: the page asks this on every load, and a 401 would be logged as a console error.
      replyJson(res, 200, (session === undefined ? { role: null } : describe(session)) satisfies SessionAnswer);
      return;
    }
    if (method === 'DELETE') {
      if (session !== undefined && !csrfRefusal(req, res, session)) return;
      sessions.delete(session?.id);
      if (session !== undefined) endStreams(session.id);
      res.writeHead(204, { 'set-cookie': clearCookie(req), 'cache-control': 'no-store' });
      res.end();
      return;
    }
    replyError(res, 405, 'PIPER_DASHBOARD_METHOD_NOT_ALLOWED', `${method} is not allowed on /auth/session`, { allow: 'GET, POST, DELETE' });
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A cross-site form cannot send JSON without a preflight, and only the page's own origin is
    // taken: together they stop login CSRF (signing a victim into the attacker's session).
    if (!isSameOrigin(req)) {
      replyError(res, 403, 'PIPER_DASHBOARD_CSRF', 'sign in from the dashboard page: a sign-in needs the Origin of this listener');
      return;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      replyError(res, 415, 'PIPER_DASHBOARD_BAD_REQUEST', 'sign in with a JSON body: {"token": "..."}');
      return;
    }
    const address = clientAddress(req);
    // The slot is taken before the body is read: attempts that arrive together are counted
    // together, instead of all passing a check that only counts finished ones.
    const admission = throttle.begin(address);
    if ('retryAfterMs' in admission) {
      replyError(res, 429, 'PIPER_DASHBOARD_TOO_MANY_SIGN_INS', 'too many sign-ins have failed; wait and try again', {
        'retry-after': String(Math.ceil(admission.retryAfterMs / 1000)),
        // The body is never read: closing spares reading it only to throw it away.
        connection: 'close',
      });
      return;
    }
    const { attempt } = admission;
    try {
      const body = await readSignInBody(req, res);
      if (body === undefined) return;
      const role = roleFor(body.token, address, req);
      if (role === undefined) {
        attempt.failed();
        replyError(res, 401, 'PIPER_DASHBOARD_BAD_TOKEN', 'that token is neither the admin token nor the read-only token');
        return;
      }
      const session = sessions.create(role);
      const cookie = `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(sessions.maxAgeMs / 1000)}${secure(req)}`;
      replyJson(res, 200, describe(session), { 'set-cookie': cookie });
    } finally {
      // A success, a malformed body or a client gone: no wrong token was evaluated (no-op after failed()).
      attempt.release();
    }
  }

  function roleFor(token: string, address: string, req: IncomingMessage): DashboardRole | undefined {
    // Both comparisons always run, so the time taken does not tell which token was close.
    const admin = tokens.admin !== undefined && secretEquals(token, tokens.admin);
    const read = tokens.read !== undefined && secretEquals(token, tokens.read);
    if (admin) return 'admin';
    if (read) return 'read';
    // With no token configured the admin API is open to loopback reads only (docs/api.md); the
    // dashboard mirrors that: a loopback browser may look, never act.
    if (tokens.admin === undefined && tokens.read === undefined && token === '' && isLoopbackAddress(address) && isLoopbackHost(req)) {
      return 'read';
    }
    return undefined;
  }

  async function forward(req: IncomingMessage, res: ServerResponse, url: URL, reading: boolean): Promise<void> {
    const session = sessions.touch(cookieValue(req, SESSION_COOKIE));
    if (session === undefined) {
      replyError(res, 401, 'PIPER_DASHBOARD_SIGNED_OUT', 'not signed in, or the session expired');
      return;
    }
    if (!reading) {
      if (!csrfRefusal(req, res, session)) return;
      if (session.role !== 'admin') {
        replyError(res, 403, 'PIPER_DASHBOARD_READ_ONLY', 'this session signed in with the read-only token and cannot change anything');
        return;
      }
    }
    // The session replaces the bearer token: the API sees the matching token (should it check one)
    // and never the cookie, so the session id cannot leak into its logs.
    delete req.headers.cookie;
    delete req.headers[CSRF_HEADER];
    const token = session.role === 'admin' ? (tokens.admin ?? tokens.read) : tokens.read;
    if (token === undefined) delete req.headers.authorization;
    else req.headers.authorization = `Bearer ${token}`;
    if (reading && url.pathname.endsWith('/stream')) track(session.id, res);
    let handled: boolean;
    try {
      handled = await api(req, res, url);
    } catch (err) {
      onError(err, 'control-plane API failed');
      replyError(res, 500, 'PIPER_DASHBOARD_API_FAILED', 'the control-plane API failed; the log of piper up has why');
      return;
    }
    if (!handled) replyError(res, 404, 'PIPER_DASHBOARD_NOT_FOUND', `no such API path: ${url.pathname}`);
  }

  /** Checks a state-changing request's CSRF token and origin; answers 403 and returns false when refused. */
  function csrfRefusal(req: IncomingMessage, res: ServerResponse, session: DashboardSession): boolean {
    const header = req.headers[CSRF_HEADER];
    if (typeof header !== 'string' || !secretEquals(header, session.csrfToken) || !isSameOrigin(req)) {
      replyError(res, 403, 'PIPER_DASHBOARD_CSRF', `missing or wrong ${CSRF_HEADER} header, or a cross-site request`);
      return false;
    }
    return true;
  }

  async function readSignInBody(req: IncomingMessage, res: ServerResponse): Promise<{ token: string } | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > SIGN_IN_BODY_LIMIT) {
        replyError(res, 413, 'PIPER_DASHBOARD_BAD_REQUEST', `sign-in body is over ${SIGN_IN_BODY_LIMIT} bytes`, { connection: 'close' });
        return undefined;
      }
      chunks.push(chunk);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      replyError(res, 400, 'PIPER_DASHBOARD_BAD_REQUEST', 'sign-in body is not valid JSON');
      return undefined;
    }
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') {
      replyError(res, 400, 'PIPER_DASHBOARD_BAD_REQUEST', 'sign-in body needs "token", a string');
      return undefined;
    }
    return { token };
  }

  function track(sessionId: string, res: ServerResponse): void {
    let set = streams.get(sessionId);
    if (set === undefined) {
      set = new Set();
      streams.set(sessionId, set);
    }
    const entry = set;
    entry.add(res);
    res.on('close', () => {
      entry.delete(res);
      if (entry.size === 0 && streams.get(sessionId) === entry) streams.delete(sessionId);
    });
  }

  function endStreams(sessionId: string): void {
    for (const res of streams.get(sessionId) ?? []) res.destroy();
    streams.delete(sessionId);
  }

  function describe(session: DashboardSession): SessionAnswer {
    return { role: session.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt, idleMs: sessions.idleMs };
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      onError(err, 'dashboard failed');
      replyError(res, 500, 'PIPER_DASHBOARD_INTERNAL', 'the dashboard failed; the log of piper up has why');
    });
  };
  // defineProperties, not Object.assign: assign would copy the getter's value once, not the getter.
  return Object.defineProperties(handler, {
    sessions: { value: sessions, enumerable: true },
    openStreams: {
      enumerable: true,
      get(): number {
        let n = 0;
        for (const set of streams.values()) n += set.size;
        return n;
      },
    },
    close: {
      value: (): void => {
        for (const id of [...streams.keys()]) endStreams(id);
      },
    },
  }) as DashboardHandler;
}

/** The value of one cookie in the request, if sent. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The peer's address, an IPv4-mapped IPv6 one written as IPv4 so both spellings count as one client. */
function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function secure(req: IncomingMessage): string {
  return (req.socket as { encrypted?: boolean }).encrypted === true ? '; Secure' : '';
}

function clearCookie(req: IncomingMessage): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure(req)}`;
}
