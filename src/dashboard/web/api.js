// The control-plane API as the page sees it: same-origin fetches carrying the session cookie,
// with the per-session CSRF token on every write.

/** An API refusal with the server's stable code. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} body
   */
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** @type {{ role: 'admin' | 'read' | null, csrfToken: string }} */
export const session = { role: null, csrfToken: '' };

/** @type {Set<() => void>} */
const signedOutListeners = new Set();

/** @param {() => void} listener called when a request finds the session gone */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ accept?: string }} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, body, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: options.accept ?? 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-piper-csrf'] = session.csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const type = res.headers.get('content-type') ?? '';
  const payload = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = payload && typeof payload === 'object' && 'error' in payload ? payload.error : null;
    const code = err?.code ?? `HTTP_${res.status}`;
    if (code === 'PIPER_DASHBOARD_SIGNED_OUT') {
      session.role = null;
      for (const l of signedOutListeners) l();
    }
    throw new ApiError(res.status, code, err?.message ?? `${method} ${path} answered ${res.status}`, payload);
  }
  return payload;
}

/** @param {string} path */
export const get = (path) => request('GET', path);
/**
 * @param {string} path
 * @param {unknown} [body]
 */
export const post = (path, body = {}) => request('POST', path, body);
/**
 * @param {string} path
 * @param {unknown} body
 */
export const put = (path, body) => request('PUT', path, body);

/**
 * Lists come either bare or wrapped (`{ events: [...] }`); both are accepted.
 * @param {unknown} payload
 * @param {string} key
 * @returns {any[]}
 */
export function listOf(payload, key) {
  if (Array.isArray(payload)) return payload;
  if (payload && typeof payload === 'object') {
    const inner = /** @type {Record<string, unknown>} */ (payload)[key] ?? /** @type {Record<string, unknown>} */ (payload).items;
    if (Array.isArray(inner)) return inner;
  }
  return [];
}

/** Reads the current session; returns the role or null. */
export async function loadSession() {
  const s = await request('GET', '/auth/session');
  session.role = s.role ?? null;
  session.csrfToken = s.csrfToken ?? '';
  return session.role;
}

/** @param {string} token */
export async function signIn(token) {
  const s = await request('POST', '/auth/session', { token });
  session.role = s.role;
  session.csrfToken = s.csrfToken;
  return session.role;
}

export async function signOut() {
  await request('DELETE', '/auth/session');
  session.role = null;
  session.csrfToken = '';
}
