import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createDashboardHandler, type DashboardHandler } from './dashboard-server.ts';

const ADMIN = 'admin-token-0123456789';
const READ = 'read-token-0123456789ab';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  cookie: string | undefined;
  body: string;
}

/** A stand-in for the control-plane API: records what reached it and answers like the real slices. */
function fakeApi(seen: Seen[]) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    let body = '';
    for await (const chunk of req as AsyncIterable<Buffer>) body += chunk.toString('utf8');
    seen.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      body,
    });
    if (url.pathname === '/api/v1/boom') throw new Error('slice exploded');
    if (url.pathname === '/api/v1/windows/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: window\ndata: {"start":1}\n\n');
      return true;
    }
    if (url.pathname === '/api/v1/state' || url.pathname === '/api/v1/routes/web/split') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, method: req.method }));
      return true;
    }
    return false;
  };
}

describe('dashboard server', () => {
  let server: Server;
  let base: string;
  let now = Date.UTC(2017, 2, 31, 21, 50);
  const seen: Seen[] = [];
  let handler: DashboardHandler;
  const failures: unknown[] = [];

  before(async () => {
    handler = createDashboardHandler({
      api: fakeApi(seen),
      tokens: { admin: ADMIN, read: READ },
      clock: { now: () => now },
      sessionIdleMs: 60_000,
      sessionMaxAgeMs: 300_000,
      onError: (err) => failures.push(err),
    });
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  async function signIn(token: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, ...headers },
      body: JSON.stringify({ token }),
    });
    const body = (await res.json()) as { role?: string; csrfToken?: string; error?: { code: string } };
    const cookie = res.headers.get('set-cookie') ?? '';
    return { res, body, cookie, session: cookie.split(';')[0] ?? '' };
  }

  test('serves the page and its assets with a strict content security policy, and nothing outside web/', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/assets\/app\.js"><\/script>/);
    const script = await fetch(`${base}/assets/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /text\/javascript/);
    const etag = script.headers.get('etag') ?? '';
    await script.arrayBuffer();
    const again = await fetch(`${base}/assets/app.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    for (const path of ['/assets/../dashboard-server.ts', '/assets/%2e%2e/index.ts', '/assets/nope.js', '/dashboard-server.ts']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PIPER_DASHBOARD_NOT_FOUND');
    }
  });

  test('refuses the API without a session and never calls it', async () => {
    const res = await fetch(`${base}/api/v1/state`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PIPER_DASHBOARD_SIGNED_OUT');
    const forged = await fetch(`${base}/api/v1/state`, { headers: { cookie: 'piper_session=forged' } });
    assert.equal(forged.status, 401);
    assert.equal(seen.length, 0);
  });

  test('signs in with the admin token into an HttpOnly SameSite=Strict cookie and forwards reads with the bearer token', async () => {
    const { res, body, cookie, session } = await signIn(ADMIN);
    assert.equal(res.status, 200);
    assert.equal(body.role, 'admin');
    assert.ok((body.csrfToken ?? '').length >= 24);
    assert.match(cookie, /^piper_session=[A-Za-z0-9_-]{43}; /);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const state = await fetch(`${base}/api/v1/state`, { headers: { cookie: session } });
    assert.equal(state.status, 200);
    assert.deepEqual(await state.json(), { ok: true, method: 'GET' });
    assert.equal(seen[0]?.authorization, `Bearer ${ADMIN}`);
    assert.equal(seen[0]?.cookie, undefined, 'the session cookie is not passed on');
    const who = await fetch(`${base}/auth/session`, { headers: { cookie: session } });
    assert.equal(((await who.json()) as { role: string }).role, 'admin');
  });

  test('two sign-ins get different session ids and CSRF tokens', async () => {
    const a = await signIn(ADMIN);
    const b = await signIn(ADMIN);
    assert.notEqual(a.session, b.session);
    assert.notEqual(a.body.csrfToken, b.body.csrfToken);
  });

  test('a write needs the session CSRF token and the same origin; with both it reaches the API', async () => {
    const { body, session } = await signIn(ADMIN);
    const put = (headers: Record<string, string>) =>
      fetch(`${base}/api/v1/routes/web/split`, {
        method: 'PUT',
        headers: { cookie: session, 'content-type': 'application/json', origin: base, ...headers },
        body: JSON.stringify({ split: { vendor: 90, inhouse: 10 }, reason: 'test' }),
      });
    for (const headers of [
      {},
      { 'x-piper-csrf': 'wrong' },
      { 'x-piper-csrf': body.csrfToken ?? '', origin: 'http://evil.example' },
      { 'x-piper-csrf': body.csrfToken ?? '', origin: 'null' },
    ]) {
      const res = await put(headers);
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PIPER_DASHBOARD_CSRF');
    }
    const crossSite = await put({ 'x-piper-csrf': body.csrfToken ?? '', 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.equal(seen.length, 0, 'refused writes never reach the API');
    const ok = await put({ 'x-piper-csrf': body.csrfToken ?? '', origin: base });
    assert.equal(ok.status, 200);
    assert.equal(seen[0]?.method, 'PUT');
    assert.equal(seen[0]?.authorization, `Bearer ${ADMIN}`);
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { split: { vendor: 90, inhouse: 10 }, reason: 'test' });
  });

  test('a session write without Origin is refused: the page always sends one, so it did not come from the page', async () => {
    const { body, session } = await signIn(ADMIN);
    const res = await fetch(`${base}/api/v1/routes/web/split`, {
      method: 'PUT',
      headers: { cookie: session, 'content-type': 'application/json', 'x-piper-csrf': body.csrfToken ?? '' },
      body: '{}',
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PIPER_DASHBOARD_CSRF');
    const noOrigin = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token":""}',
    });
    assert.equal(noOrigin.status, 403, 'sign-in too');
    assert.equal(seen.length, 0);
  });

  test('a read-only session reads but gets 403 PIPER_DASHBOARD_READ_ONLY on writes', async () => {
    const { body, session } = await signIn(READ);
    assert.equal(body.role, 'read');
    const get = await fetch(`${base}/api/v1/state`, { headers: { cookie: session } });
    assert.equal(get.status, 200);
    assert.equal(seen[0]?.authorization, `Bearer ${READ}`);
    const res = await fetch(`${base}/api/v1/routes/web/split`, {
      method: 'PUT',
      headers: { cookie: session, 'content-type': 'application/json', origin: base, 'x-piper-csrf': body.csrfToken ?? '' },
      body: '{}',
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PIPER_DASHBOARD_READ_ONLY');
    assert.equal(seen.length, 1, 'the write never reached the API');
  });

  test('refuses a wrong token, a malformed body and a foreign origin at sign-in', async () => {
    const wrong = await signIn('not-a-token');
    assert.equal(wrong.res.status, 401);
    assert.equal(wrong.body.error?.code, 'PIPER_DASHBOARD_BAD_TOKEN');
    assert.equal(wrong.cookie, '');
    const foreign = await signIn(ADMIN, { origin: 'http://evil.example' });
    assert.equal(foreign.res.status, 403);
    const text = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: base },
      body: ADMIN,
    });
    assert.equal(text.status, 415);
    const broken = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: '{"token":',
    });
    assert.equal(broken.status, 400);
    const big = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: 'x'.repeat(10_000),
    });
    assert.equal(big.status, 413);
    const numeric = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: '{"token":5}',
    });
    assert.equal(numeric.status, 400);
  });

  test('a session expires after its idle time, and use keeps it alive up to its maximum age', async () => {
    const { session } = await signIn(ADMIN);
    now += 50_000;
    assert.equal(
      ((await (await fetch(`${base}/auth/session`, { headers: { cookie: session } })).json()) as { role: string }).role,
      'admin',
    );
    now += 50_000; // 100 s after sign-in, 50 s after last use: still alive
    assert.equal((await fetch(`${base}/api/v1/state`, { headers: { cookie: session } })).status, 200);
    now += 60_000;
    const idle = await fetch(`${base}/api/v1/state`, { headers: { cookie: session } });
    assert.equal(idle.status, 401);
    const kept = await signIn(ADMIN);
    for (let i = 0; i < 6; i++) {
      now += 50_000;
      await fetch(`${base}/auth/session`, { headers: { cookie: kept.session } }).then((r) => r.arrayBuffer());
    }
    const gone = await fetch(`${base}/auth/session`, { headers: { cookie: kept.session } });
    assert.deepEqual(await gone.json(), { role: null }, 'max age reached');
  });

  test('sign-out needs the CSRF token, clears the cookie and forgets the session', async () => {
    const { body, session } = await signIn(ADMIN);
    const refused = await fetch(`${base}/auth/session`, { method: 'DELETE', headers: { cookie: session, origin: base } });
    assert.equal(refused.status, 403);
    const out = await fetch(`${base}/auth/session`, {
      method: 'DELETE',
      headers: { cookie: session, origin: base, 'x-piper-csrf': body.csrfToken ?? '' },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${base}/api/v1/state`, { headers: { cookie: session } })).status, 401);
  });

  test('forwards server-sent event streams to the API', async () => {
    const { session } = await signIn(READ);
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/windows/stream`, { headers: { cookie: session }, signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /event: window/);
    ac.abort();
    await reader.cancel().catch(() => {});
  });

  test("signing out ends the session's open event streams, and close() ends all of them", async () => {
    const a = await signIn(ADMIN);
    const b = await signIn(READ);
    const open = async (cookie: string) => {
      const res = await fetch(`${base}/api/v1/windows/stream`, { headers: { cookie } });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      return reader;
    };
    const ra = await open(a.session);
    const rb = await open(b.session);
    assert.equal(handler.openStreams, 2);
    await fetch(`${base}/auth/session`, {
      method: 'DELETE',
      headers: { cookie: a.session, origin: base, 'x-piper-csrf': a.body.csrfToken ?? '' },
    });
    await assert.rejects(async () => {
      for (;;) if ((await ra.read()).done) throw new Error('ended');
    });
    handler.close();
    handler.close();
    await assert.rejects(async () => {
      for (;;) if ((await rb.read()).done) throw new Error('ended');
    });
    assert.equal(handler.openStreams, 0);
  });

  test('an API that throws: 500 with a code, and its internal message goes to the log, not to the browser', async () => {
    const { session } = await signIn(READ);
    const missing = await fetch(`${base}/api/v1/nothing`, { headers: { cookie: session } });
    assert.equal(missing.status, 404);
    const boom = await fetch(`${base}/api/v1/boom`, { headers: { cookie: session } });
    assert.equal(boom.status, 500);
    const body = (await boom.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'PIPER_DASHBOARD_API_FAILED');
    assert.doesNotMatch(body.error.message, /exploded/, 'the internal error stays in the log');
    assert.deepEqual(
      failures.map((e) => (e as Error).message),
      ['slice exploded'],
    );
  });

  test('refuses an address after ten wrong tokens until the window passes', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await signIn('guess')).res.status, 401);
    const limited = await signIn(ADMIN);
    assert.equal(limited.res.status, 429);
    assert.equal(limited.body.error?.code, 'PIPER_DASHBOARD_TOO_MANY_SIGN_INS');
    assert.ok(Number(limited.res.headers.get('retry-after')) > 0);
    now += 60_000;
    assert.equal((await signIn(ADMIN)).res.status, 200);
  });
});

test('with no token configured a loopback browser may sign in to read, never to write', async () => {
  const handler = createDashboardHandler({ api: fakeApi([]), tokens: {} });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: '{"token":""}',
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { role: string }).role, 'read');
    const wrong = await fetch(`${base}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: '{"token":"x"}',
    });
    assert.equal(wrong.status, 401);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

/** A dashboard on port 0 with its own throttle state; closes itself when `body` ends. */
async function withDashboard(
  options: Partial<Parameters<typeof createDashboardHandler>[0]>,
  body: (base: string, port: number) => Promise<void>,
): Promise<void> {
  const handler = createDashboardHandler({ api: fakeApi([]), tokens: { admin: ADMIN, read: READ }, ...options });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    await body(`http://127.0.0.1:${port}`, port);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Statuses of the responses on one raw connection, in order (1xx included). */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

test('guessing the admin token with a read-only token in between: a successful sign-in does not reset the failure count', async () => {
  await withDashboard({}, async (base) => {
    const signIn = async (token: string) =>
      (
        await fetch(`${base}/auth/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: base },
          body: JSON.stringify({ token }),
        })
      ).status;
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) seen.push(await signIn(`guess-${round}-${i}-0123456789`));
      assert.equal(await signIn(READ), round < 1 ? 200 : 429, `read-only sign-in after round ${round}`);
    }
    assert.deepEqual(
      seen.map((s) => (s === 401 ? 'evaluated' : s)),
      [...Array(10).fill('evaluated'), ...Array(10).fill(429)],
    );
  });
});

test('forty concurrent wrong sign-ins on real sockets: ten are evaluated, thirty get 429 before their body is read', async () => {
  await withDashboard({}, async (base, port) => {
    const body = JSON.stringify({ token: 'wrong-token-0123456789' });
    const head =
      'POST /auth/session HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${port}\r\nOrigin: ${base}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    const clients = Array.from({ length: 40 }, () => {
      const socket = connect(port, '127.0.0.1');
      socket.setEncoding('latin1');
      let text = '';
      const answered = new Promise<void>((resolve) => {
        socket.on('data', (d: string) => {
          text += d;
          // Node answers `100 Continue` once the handler has run on the head, or the handler
          // answers at once; either way the throttle has decided by then.
          if (statuses(text).length > 0) resolve();
        });
      });
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => {});
      socket.write(head);
      return { socket, answered, closed, text: () => text };
    });
    await Promise.all(clients.map((c) => c.answered));
    for (const c of clients) if (statuses(c.text()).every((s) => s === 100)) c.socket.write(body);
    await Promise.all(clients.map((c) => c.closed));
    const finals = clients.map((c) =>
      statuses(c.text())
        .filter((s) => s !== 100)
        .at(-1),
    );
    assert.equal(finals.filter((s) => s === 401).length, 10, `evaluated: ${finals.join(' ')}`);
    assert.equal(finals.filter((s) => s === 429).length, 30);
    const refused = clients.find((c) => / 429 /.test(c.text()))?.text() ?? '';
    assert.match(refused, /retry-after: \d+/i);
    assert.match(refused, /"code":"PIPER_DASHBOARD_TOO_MANY_SIGN_INS"/);
  });
});
