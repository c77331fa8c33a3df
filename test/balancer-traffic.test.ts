import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { decodeUserIds } from '../src/core/index.ts';
import { userIdOf } from '../src/telemetry/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdefgh';

/** Sends raw bytes on a fresh connection; resolves everything the server sent until it closed. */
function raw(url: string, bytes: string, options: { keepOpenMs?: number } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    if (options.keepOpenMs === undefined) socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** GET with undici's request (fetch would drop Host and Connection, which these tests set). */
async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('piper up: traffic path', () => {
  const a = new FixtureBackend('a1');
  const b = new FixtureBackend('b1');
  const b2 = new FixtureBackend('b2');
  let up: PiperUpProcess;
  const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

  before(async () => {
    const [ua, ub, ub2] = await Promise.all([a.listen(), b.listen(), b2.listen()]);
    up = await startPiperUp({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      admin: { address: '127.0.0.1', port: 0, token: ADMIN, readToken: READ },
      timeouts: { headers: '1s', request: '5s', upstreamHeaders: '2s' },
      pools: {
        a: { backends: [{ name: 'a1', url: ua }], healthCheck: { enabled: false } },
        b: {
          backends: [
            { name: 'b1', url: ub },
            { name: 'b2', url: ub2 },
          ],
          healthCheck: { enabled: false },
        },
      },
      routes: [
        { name: 'web', match: { pathPrefix: '/' }, split: { a: 80, b: 20 } },
        { name: 'sticky', match: { host: 'sticky.test', pathPrefix: '/' }, split: { a: 50, b: 50 }, sticky: { header: 'x-user' } },
      ],
    });
  });

  after(async () => {
    await up?.stop();
    await Promise.all([a.close(), b.close(), b2.close()]);
  });

  it('splits traffic across pools by weight and forwards proxy headers', async () => {
    const counts: Record<string, number> = { a1: 0, b1: 0, b2: 0 };
    for (let i = 0; i < 400; i++) {
      const r = await get(`${up.publicUrl}/split`);
      assert.equal(r.status, 200);
      counts[r.body.trim()] = (counts[r.body.trim()] ?? 0) + 1;
    }
    const onA = counts.a1 as number;
    assert.ok(onA > 280 && onA < 360, `a1 got ${onA} of 400 at weight 80 %`);
    assert.ok((counts.b1 as number) > 10 && (counts.b2 as number) > 10, `b1 ${counts.b1}, b2 ${counts.b2}`);
    const answer = await raw(
      up.publicUrl,
      'GET /hdr HTTP/1.1\r\nHost: x\r\nConnection: close, x-secret\r\nX-Secret: hop\r\nX-Request-Id: req-42\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /\r\nvia: 1\.1 piper\r\n/i);
    const seen = [a, b, b2].map((f) => f.lastHeaders).find((h) => h['x-request-id'] === 'req-42');
    assert.ok(seen, 'a backend saw the request id');
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-host'], 'x');
    assert.equal(seen.via, '1.1 piper');
    assert.equal(seen['x-secret'], undefined, 'a header named in Connection is hop-by-hop');
    const r = await get(`${up.publicUrl}/id`);
    assert.equal(r.headers.via, '1.1 piper');
    assert.match(
      String([a, b, b2].map((f) => f.lastHeaders['x-request-id']).join(',')),
      /[0-9a-f]{16}/,
      'an X-Request-Id is generated when absent',
    );
  });

  it('keeps a sticky user on its pool while weights move toward it', async () => {
    const before: Record<string, string> = {};
    for (let u = 0; u < 40; u++) {
      const first = await get(`${up.publicUrl}/s`, { host: 'sticky.test', 'x-user': `user-${u}` });
      for (let i = 0; i < 3; i++) {
        const again = await get(`${up.publicUrl}/s`, { host: 'sticky.test', 'x-user': `user-${u}` });
        assert.equal(again.body[0], first.body[0], `user-${u} flipped pools`);
      }
      before[`user-${u}`] = first.body[0] as string;
    }
    assert.ok(Object.values(before).includes('a') && Object.values(before).includes('b'), 'users on both pools at 50/50');
    const put = await fetch(`${up.adminUrl}/api/v1/routes/sticky/split`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ split: { a: 90, b: 10 }, reason: 'test: move toward a' }),
    });
    assert.equal(put.status, 200);
    for (const [user, pool] of Object.entries(before)) {
      if (pool !== 'a') continue;
      const r = await get(`${up.publicUrl}/s`, { host: 'sticky.test', 'x-user': user });
      assert.equal(r.body[0], 'a', `${user} left pool a when a's weight grew`);
    }
  });

  it("tells a route's users apart by its sticky key, and others by the client's address", async () => {
    for (const user of ['ann', 'bob', 'ann']) await get(`${up.publicUrl}/u`, { host: 'sticky.test', 'x-user': user });
    await get(`${up.publicUrl}/u`, { host: 'sticky.test' });
    await get(`${up.publicUrl}/u`);
    type Users = { ids: string; by: string[] };
    const seen = await waitFor('the windows with those users', async () => {
      const res = await fetch(`${up.adminUrl}/api/v1/windows`, { headers: { authorization: `Bearer ${READ}` } });
      const { windows } = (await res.json()) as { windows: { routes: Record<string, { users?: Users }> }[] };
      const ids = (route: string): Set<number> => new Set(windows.flatMap((w) => decodeUserIds(w.routes[route]?.users?.ids ?? '')));
      const by = (route: string): Set<string> => new Set(windows.flatMap((w) => w.routes[route]?.users?.by ?? []));
      const sticky = ids('sticky');
      return sticky.has(userIdOf('ann')) && sticky.has(userIdOf('bob')) && ids('web').size > 0
        ? { sticky, web: ids('web'), stickyBy: by('sticky'), webBy: by('web') }
        : undefined;
    });
    assert.ok(seen.sticky.has(userIdOf('127.0.0.1')), 'a sticky route request without the key counts by address');
    assert.deepEqual([...seen.stickyBy].sort(), ['address', 'header']);
    assert.deepEqual([...seen.web], [userIdOf('127.0.0.1')]);
    assert.deepEqual([...seen.webBy], ['address']);
  });

  it('admin API: reads need a token, writes the admin token; a split change moves traffic at once', async () => {
    assert.equal((await fetch(`${up.adminUrl}/api/v1/state`)).status, 401);
    assert.equal((await fetch(`${up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${READ}` } })).status, 200);
    const body = JSON.stringify({ split: { a: 0, b: 100 }, reason: 'test' });
    const anon = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(anon.status, 401);
    const readOnly = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${READ}` },
      body,
    });
    assert.equal(readOnly.status, 403);
    assert.equal(((await readOnly.json()) as { error: { code: string } }).error.code, 'PIPER_BALANCER_FORBIDDEN');
    const bad = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ split: { nope: 1 }, reason: 'x' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'PIPER_BALANCER_INVALID_SPLIT');
    const ok = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, { method: 'PUT', headers: auth, body });
    assert.equal(ok.status, 200);
    for (let i = 0; i < 30; i++) assert.match((await get(`${up.publicUrl}/x`)).body, /^b/);
    const unknown = await fetch(`${up.adminUrl}/api/v1/routes/nope/split`, { method: 'PUT', headers: auth, body });
    assert.equal(unknown.status, 404);
    assert.equal((await fetch(`${up.adminUrl}/api/v1/nothing`, { headers: auth })).status, 404);
    const metrics = await (await fetch(`${up.adminUrl}/metrics`, { headers: auth })).text();
    assert.match(metrics, /process_resident_memory_bytes/);
  });

  it('drain stops new requests to a backend; undrain brings it back', async () => {
    const post = (action: string) =>
      fetch(`${up.adminUrl}/api/v1/pools/b/backends/b1/${action}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    const drained = await post('drain');
    assert.equal(drained.status, 200);
    assert.equal(((await drained.json()) as { health: string }).health, 'draining');
    for (let i = 0; i < 30; i++) assert.equal((await get(`${up.publicUrl}/d`)).body.trim(), 'b2');
    assert.equal((await post('undrain')).status, 200);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add((await get(`${up.publicUrl}/d`)).body.trim());
    assert.ok(seen.has('b1'), 'b1 serves again after undrain');
  });

  it('refuses request smuggling (Content-Length with Transfer-Encoding) with 400 and keeps serving', async () => {
    const before = a.requests + b.requests + b2.requests;
    const answer = await raw(
      up.publicUrl,
      'POST /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.equal(answer.match(/HTTP\/1\.1/g)?.length, 1, 'the smuggled request was not served');
    assert.equal(a.requests + b.requests + b2.requests, before, 'nothing reached a backend');
    assert.equal((await get(`${up.publicUrl}/after`)).status, 200);
  });

  it('answers a malformed request line 400, oversized headers 431, a bad Host 400 with a code', async () => {
    assert.match(await raw(up.publicUrl, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const big = await raw(up.publicUrl, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(big, /PIPER_BALANCER_HEADERS_TOO_LARGE/);
    const badHost = await raw(up.publicUrl, 'GET / HTTP/1.1\r\nHost: bad host/../x\r\nConnection: close\r\n\r\n');
    assert.match(badHost, /^HTTP\/1\.1 400 /);
    assert.match(badHost, /PIPER_BALANCER_BAD_HOST/);
    assert.equal((await get(`${up.publicUrl}/after`)).status, 200);
  });

  it('answers a slowloris client 408 once the headers timeout passes, serving others meanwhile', async () => {
    const slow = raw(up.publicUrl, 'GET /slow HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n', { keepOpenMs: 0 });
    for (let i = 0; i < 5; i++) assert.equal((await get(`${up.publicUrl}/fast`)).status, 200);
    const answer = await slow;
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /PIPER_BALANCER_REQUEST_TIMEOUT/);
  });

  it('reloads on POST /api/v1/reload and keeps serving', async () => {
    const r = await fetch(`${up.adminUrl}/api/v1/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(r.status, 200);
    assert.equal((await get(`${up.publicUrl}/after-reload`)).status, 200);
  });

  it('reloads on SIGHUP: a changed configured split applies without a restart', async () => {
    const { parse, stringify } = await import('yaml');
    const config = parse(readFileSync(up.configFile, 'utf8')) as { routes: { name: string; split: Record<string, number> }[] };
    (config.routes[0] as { split: Record<string, number> }).split = { a: 1, b: 3 };
    writeFileSync(up.configFile, stringify(config));
    up.child.kill('SIGHUP');
    const split = await waitFor('the reloaded split', async () => {
      const state = (await (await fetch(`${up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${READ}` } })).json()) as {
        routes: { name: string; split: Record<string, number> }[];
      };
      const web = state.routes.find((r) => r.name === 'web');
      return web?.split.b === 3 ? web.split : undefined;
    });
    assert.deepEqual(split, { a: 1, b: 3 });
    assert.equal(up.child.exitCode, null, 'SIGHUP does not stop the process');
    assert.equal((await get(`${up.publicUrl}/after-hup`)).status, 200);
  });

  it('streams telemetry windows over server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${up.adminUrl}/api/v1/windows/stream`, {
      headers: { authorization: `Bearer ${READ}` },
      signal: controller.signal,
    });
    assert.equal(res.headers.get('content-type')?.startsWith('text/event-stream'), true);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    await waitFor('a window event', async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return /event: window\n/.test(text) ? true : undefined;
    });
    controller.abort();
    const data = /event: window\n(?:id: .*\n)?data: (.*)\n/.exec(text);
    assert.ok(data, text);
    const w = JSON.parse(data[1] as string) as { durationMs: number };
    assert.equal(w.durationMs, 1000);
  });
});
