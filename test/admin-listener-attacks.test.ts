import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { type PiperUp, startPiperUp } from '../src/cli/up/piper-up.ts';
import { SystemClock, SystemRandom, silentLogger } from '../src/core/index.ts';

interface Answer {
  status: number;
  code: string | undefined;
  text: string;
}

/** One request with exactly these headers (fetch would not let a test choose Host). */
function send(url: string, method: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every state-changing path of the admin listener, each as a browser's simple request could send it. */
const WRITES: readonly { method: string; path: string; body: string }[] = [
  { method: 'POST', path: '/api/v1/pools/main/backends/b1/drain', body: '' },
  { method: 'POST', path: '/api/v1/pools/main/backends/b1/undrain', body: '' },
  { method: 'POST', path: '/api/v1/reload', body: '' },
  { method: 'POST', path: '/api/v1/routes/web/heartbeat', body: '' },
  { method: 'PUT', path: '/api/v1/routes/web/split', body: '{"split":{"main":1},"reason":"x"}' },
  { method: 'POST', path: '/api/v1/events', body: '{"kind":"operator.note","subject":"x"}' },
  { method: 'POST', path: '/api/v1/incidents/1/ack', body: '{"actor":"x"}' },
  { method: 'POST', path: '/api/v1/migrations', body: '{"route":"web","to":"main"}' },
  { method: 'POST', path: '/api/v1/migrations/m1/abort', body: '{"reason":"x"}' },
];

async function startUp(admin: Record<string, unknown>): Promise<{ up: PiperUp; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'piper-admin-attacks-'));
  const configFile = join(dir, 'piper.yaml');
  writeFileSync(
    configFile,
    stringify({
      admin: { address: '127.0.0.1', port: 0, ...admin },
      dashboard: { address: '127.0.0.1', port: 0 },
      // Nothing listens on port 9: health checks are off, so the backend stays up in the state.
      pools: { main: { backends: [{ name: 'b1', url: 'http://127.0.0.1:9' }], healthCheck: { enabled: false } } },
      routes: [{ name: 'web', split: { main: 100 } }],
      storage: { path: join(dir, 'piper.db') },
      logging: { level: 'silent' },
    }),
  );
  const up = await startPiperUp({
    configFile,
    env: {},
    clock: new SystemClock(),
    random: new SystemRandom(),
    makeLogger: () => silentLogger(),
    port: 0,
    adminPort: 0,
    dashboardPort: 0,
  });
  return {
    up,
    cleanup: async () => {
      await up.close(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('admin listener with no token configured', () => {
  let up: PiperUp;
  let cleanup: () => Promise<void>;
  let admin: string;
  let adminHost: string;
  let dashboard: string;
  let dashboardHost: string;
  const events: string[] = [];

  before(async () => {
    ({ up, cleanup } = await startUp({}));
    admin = up.adminUrl;
    adminHost = new URL(admin).host;
    dashboard = up.dashboardUrl ?? '';
    dashboardHost = new URL(dashboard).host;
    up.balancer?.onEvent((e) => events.push(e.kind));
  });
  after(() => cleanup());

  const backendHealth = () => up.dataPlane.snapshot().pools.find((p) => p.name === 'main')?.backends[0]?.health;

  test('cross-site simple POST (foreign Origin, text/plain) to every write path: refused, nothing drained, reloaded or recorded', async () => {
    const journalBefore = up.controlPlane.journal.query({}).length;
    for (const w of WRITES) {
      for (const browser of [
        { origin: 'http://attacker.example', 'content-type': 'text/plain' },
        { origin: 'null', 'content-type': 'text/plain' },
        { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
        // A page on another port of this machine is same-site, not same-origin.
        { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
      ]) {
        const a = await send(`${admin}${w.path}`, w.method, { host: adminHost, ...browser }, w.body);
        assert.equal(a.status, 403, `${w.method} ${w.path} ${JSON.stringify(browser)}: ${a.text}`);
        assert.equal(a.code, 'PIPER_BALANCER_CROSS_SITE');
      }
    }
    assert.notEqual(backendHealth(), 'draining');
    assert.deepEqual(events, [], 'no balancer event: no drain, no reload, no split');
    assert.equal(up.controlPlane.journal.query({}).length, journalBefore, 'nothing appended to the journal');
  });

  test('DNS rebinding: a foreign Host reaching the loopback admin listener is refused for reads and writes with 421', async () => {
    const port = new URL(admin).port;
    for (const host of [
      `rebind.attacker.example:${port}`,
      `localhost.attacker.example:${port}`,
      'attacker.example',
      `127.0.0.1.nip.io:${port}`,
    ]) {
      for (const [method, path] of [
        ['GET', '/api/v1/state'],
        ['GET', '/metrics'],
        ['GET', '/api/v1/events'],
        ['POST', '/api/v1/pools/main/backends/b1/drain'],
      ] as const) {
        const a = await send(`${admin}${path}`, method, { host, origin: `http://${host}` });
        assert.equal(a.status, 421, `${method} ${path} Host ${host}: ${a.text}`);
        assert.equal(a.code, 'PIPER_BALANCER_MISDIRECTED_REQUEST');
        assert.doesNotMatch(a.text, /"routes"|"pools"|b1|main/, 'no state in the refusal');
      }
    }
    assert.notEqual(backendHealth(), 'draining');
  });

  test('a missing Host, or the right name on another port, is refused too', async () => {
    const a = await send(`${admin}/api/v1/state`, 'GET', { host: '127.0.0.1:1' });
    assert.equal(a.status, 421);
    // HTTP/1.0 allows a request without Host (node:http refuses an HTTP/1.1 one by itself).
    const socket = connect(Number(new URL(admin).port), '127.0.0.1');
    socket.end('GET /api/v1/state HTTP/1.0\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    assert.match(text, /^HTTP\/1\.1 421 /);
  });

  test('loopback clients addressing 127.0.0.1 or localhost with the right port may still read and write', async () => {
    const port = new URL(admin).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await send(`${admin}/api/v1/state`, 'GET', { host })).status, 200, host);
    }
    const drained = await send(`${admin}/api/v1/pools/main/backends/b1/drain`, 'POST', { host: `localhost:${port}` });
    assert.equal(drained.status, 200, drained.text);
    assert.equal(backendHealth(), 'draining');
    const sameOrigin = await send(`${admin}/api/v1/pools/main/backends/b1/undrain`, 'POST', {
      host: adminHost,
      origin: admin,
      'sec-fetch-site': 'same-origin',
    });
    assert.equal(sameOrigin.status, 200, sameOrigin.text);
    assert.notEqual(backendHealth(), 'draining');
    events.length = 0;
  });

  test('DNS rebinding against the dashboard: a foreign Host cannot sign in with the empty token and read the state', async () => {
    const port = new URL(dashboard).port;
    const host = `rebind.attacker.example:${port}`;
    // To the browser this is a same-origin request: Origin and Host agree.
    const signIn = await send(
      `${dashboard}/auth/session`,
      'POST',
      { host, origin: `http://${host}`, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      '{"token":""}',
    );
    assert.equal(signIn.status, 421, signIn.text);
    assert.equal(signIn.code, 'PIPER_DASHBOARD_MISDIRECTED_REQUEST');
    for (const path of ['/', '/assets/app.js', '/api/v1/state', '/auth/session']) {
      const a = await send(`${dashboard}${path}`, 'GET', { host });
      assert.equal(a.status, 421, path);
    }
    // The public status page holds nothing private and may be published under any name.
    assert.equal((await send(`${dashboard}/status.json`, 'GET', { host })).status, 200);
    const local = await send(
      `${dashboard}/auth/session`,
      'POST',
      { host: dashboardHost, origin: dashboard, 'content-type': 'application/json' },
      '{"token":""}',
    );
    assert.equal(local.status, 200, local.text);
  });

  test('requests node:http refuses by itself (malformed, a 20 KiB head) get the house JSON error, nothing echoed', async () => {
    const raw = async (url: string, bytes: string) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => {});
      socket.end(bytes);
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), type: /content-type: ([^\r]+)/i.exec(head)?.[1], body };
    };
    const secret = 'x-probe: reflected-value';
    for (const [url, prefix] of [
      [admin, 'PIPER_BALANCER_'],
      [dashboard, 'PIPER_DASHBOARD_'],
    ] as const) {
      const bad = await raw(url, `GET /api/v1/state HTTP/1.1\r\nHost: ${new URL(url).host}\r\n${secret}\r\nbad header\r\n\r\n`);
      assert.equal(bad.status, 400);
      assert.match(bad.type ?? '', /application\/json/);
      assert.match((JSON.parse(bad.body) as { error: { code: string } }).error.code, new RegExp(`^${prefix}`));
      assert.doesNotMatch(bad.body, /reflected/);
      const big = await raw(url, `GET / HTTP/1.1\r\nHost: ${new URL(url).host}\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.equal(big.status, 431);
      assert.match((JSON.parse(big.body) as { error: { code: string } }).error.code, new RegExp(`^${prefix}`));
    }
  });

  test('cross-site sign-in to the dashboard (login CSRF) is refused', async () => {
    const a = await send(
      `${dashboard}/auth/session`,
      'POST',
      { host: dashboardHost, origin: 'http://attacker.example', 'content-type': 'text/plain' },
      '{"token":""}',
    );
    assert.equal(a.status, 403);
    assert.equal(a.code, 'PIPER_DASHBOARD_CSRF');
  });
});

describe('admin listener with a token', () => {
  const ADMIN = 'a8f3c1d9e27b4650f1a2c3d4e5f60718';
  let up: PiperUp;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ up, cleanup } = await startUp({ token: ADMIN }));
  });
  after(() => cleanup());

  test('cross-site write carrying the admin token (a page that learnt it): refused by Origin, nothing drained', async () => {
    const host = new URL(up.adminUrl).host;
    for (const w of WRITES) {
      const a = await send(
        `${up.adminUrl}${w.path}`,
        w.method,
        { host, origin: 'http://attacker.example', authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        w.body,
      );
      assert.equal(a.status, 403, `${w.method} ${w.path}`);
      assert.equal(a.code, 'PIPER_BALANCER_CROSS_SITE');
    }
    const ok = await send(`${up.adminUrl}/api/v1/pools/main/backends/b1/drain`, 'POST', { host, authorization: `Bearer ${ADMIN}` });
    assert.equal(ok.status, 200);
    const noToken = await send(`${up.adminUrl}/api/v1/pools/main/backends/b1/undrain`, 'POST', { host });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.code, 'PIPER_BALANCER_UNAUTHORIZED');
  });

  test('DNS rebinding with a token configured: still 421 before any token is looked at', async () => {
    const port = new URL(up.adminUrl).port;
    const a = await send(`${up.adminUrl}/api/v1/state`, 'GET', {
      host: `rebind.attacker.example:${port}`,
      authorization: `Bearer ${ADMIN}`,
    });
    assert.equal(a.status, 421);
  });
});

describe('admin listener when something inside fails', () => {
  const ADMIN = 'c0ffee1d9e27b4650f1a2c3d4e5f6071';
  let up: PiperUp;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ up, cleanup } = await startUp({ token: ADMIN }));
  });
  after(() => cleanup());

  test("information disclosure: an internal failure's message (here the journal file's path) stays in the log; the answer is 500 with its code", async () => {
    // The store under the journal fails as a broken disk or database would: its error names the file.
    up.controlPlane.journal.store.close();
    const host = new URL(up.adminUrl).host;
    for (const target of ['/api/v1/events', '/api/v1/incidents', '/api/v1/migrations']) {
      const a = await send(`${up.adminUrl}${target}`, 'GET', { host, authorization: `Bearer ${ADMIN}` });
      assert.equal(a.status, 500, `${target}: ${a.text}`);
      assert.equal(a.code, 'PIPER_JOURNAL_CLOSED', `${target}: ${a.text}`);
      assert.ok(!a.text.includes('piper-admin-attacks-'), `${target} tells where the journal lives: ${a.text}`);
    }
  });
});
