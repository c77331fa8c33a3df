// piper up on a real HAProxy (`--data-plane haproxy`), end to end: a backend killed under load,
// TLS and HTTP/2 to a client, and HAProxy's worker killed under piper.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { RuntimeApiClient } from '../../src/haproxy/index.ts';
import { FixtureBackend } from '../backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from '../balancer-process.ts';
import { haproxyMissing } from '../haproxy-runtime-fixture.ts';
import { HAPROXY_UP_TOKEN, haproxyUpConfig } from '../haproxy-up-fixture.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened: { up?: PiperUpProcess; dir: string; close: (() => Promise<void>)[] }[] = [];
after(async () => {
  for (const o of opened.splice(0)) {
    await o.up?.stop();
    for (const c of o.close) await c();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

function folder(): { dir: string; close: (() => Promise<void>)[]; up?: PiperUpProcess } {
  const o = { dir: mkdtempSync(join(tmpdir(), 'piper-e2e-haproxy-')), close: [] as (() => Promise<void>)[] };
  opened.push(o);
  return o;
}

/** A backend in a process of its own, so that it can be killed with SIGKILL. */
async function backendProcess(name: string): Promise<{ url: string; child: ChildProcess }> {
  const code = `const s=require('node:http').createServer({keepAliveTimeout:30000},(q,r)=>{q.resume();q.on('end',()=>r.end(${JSON.stringify(`${name}\n`)}))});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, child };
}

const api = (up: PiperUpProcess, path: string, init: RequestInit = {}) =>
  fetch(`${up.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${HAPROXY_UP_TOKEN}`, 'content-type': 'application/json' } });

async function journal(up: PiperUpProcess, kind: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  const body = (await (await api(up, `/api/v1/events?kind=${kind}`)).json()) as {
    events: { kind: string; data: Record<string, unknown> }[];
  };
  return body.events;
}

describe('piper up on a real HAProxy, end to end', { skip: haproxyMissing() }, () => {
  it('a backend killed with kill -9 under load costs no GET: HAProxy retries it on another server', async (t) => {
    const o = folder();
    const [b1, b2] = [await backendProcess('b1'), await backendProcess('b2')];
    o.close.push(async () => {
      for (const b of [b1, b2]) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    });
    o.up = await startPiperUp(haproxyUpConfig(o.dir, { vendor: [b1.url, b2.url] }, { vendor: 100 }), ['--data-plane', 'haproxy']);
    // What makes it so, in the config piper wrote: a failed connection or an empty answer is retried,
    // on another server (redispatch).
    const cfg = readFileSync(join(o.dir, 'haproxy', 'haproxy.cfg'), 'utf8');
    assert.match(cfg, /\n {4}retry-on conn-failure empty-response response-timeout 502 503 504\n/);
    assert.match(cfg, /\n {4}option redispatch 1\n/);
    assert.match(cfg, /\n {4}retries 1\n/);

    const agent = new Agent({ connections: 8 });
    const served: Record<string, number> = {};
    const failures: string[] = [];
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const res = await request(`${o.up?.publicUrl}/`, { dispatcher: agent });
          const body = await res.body.text();
          if (res.statusCode === 200) served[body.trim()] = (served[body.trim()] ?? 0) + 1;
          else failures.push(`HTTP ${res.statusCode}`);
        } catch (err) {
          failures.push(String((err as Error).message));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await sleep(1000);
    const before = { ...served };
    b1.child.kill('SIGKILL');
    await sleep(2000);
    stop = true;
    await load;
    await agent.close();
    t.diagnostic(`served ${JSON.stringify(served)} (b1 before the kill: ${before.b1 ?? 0}); failed ${failures.length}`);
    assert.ok((before.b1 ?? 0) > 0 && (before.b2 ?? 0) > 0, 'both served before the kill');
    assert.deepEqual(failures, [], 'no GET failed');
    assert.ok((served.b2 ?? 0) > (before.b2 ?? 0) + 50, 'b2 took the traffic');
  });

  it('serves TLS and HTTP/2 to a client, from a certificate made here', async () => {
    const o = folder();
    const backend = new FixtureBackend('tls-1');
    const url = await backend.listen();
    o.close.push(() => backend.close());
    const key = join(o.dir, 'key.pem');
    const crt = join(o.dir, 'crt.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      { stdio: 'ignore' },
    );
    const pem = join(o.dir, 'site.pem');
    writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
    const config = haproxyUpConfig(o.dir, { web: [url] }, { web: 100 });
    config.listeners = [{ name: 'public', address: '127.0.0.1', port: 0, tls: { cert: pem } }];
    config.dataPlane = { kind: 'haproxy', ...(config.dataPlane as object) };
    o.up = await startPiperUp(config);
    assert.match(o.up.publicUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const session = http2Connect(o.up.publicUrl, { ca: readFileSync(crt), servername: 'localhost' });
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
      assert.equal(session.alpnProtocol, 'h2', 'HTTP/2 negotiated by ALPN');
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ':path': '/', ':method': 'GET' });
        let status = 0;
        let body = '';
        req.on('response', (h) => {
          status = Number(h[':status']);
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => {
          body += d;
        });
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.equal(body, 'tls-1\n');
      assert.equal(backend.lastHeaders['x-forwarded-proto'], 'https');
    } finally {
      session.close();
    }
  });

  it("HAProxy's worker killed with kill -9: piper restarts it, reattaches, re-applies the current split and says so in the journal", async (t) => {
    const o = folder();
    const v1 = new FixtureBackend('v1');
    const h1 = new FixtureBackend('h1');
    const urls = [await v1.listen(), await h1.listen()];
    o.close.push(
      () => v1.close(),
      () => h1.close(),
    );
    o.up = await startPiperUp(
      haproxyUpConfig(o.dir, { vendor: [urls[0] as string], inhouse: [urls[1] as string] }, { vendor: 100, inhouse: 0 }),
      ['--data-plane', 'haproxy'],
    );
    const up = o.up;
    const res = await api(up, '/api/v1/routes/web/split', {
      method: 'PUT',
      body: JSON.stringify({ split: { vendor: 1, inhouse: 3 }, reason: 'a quarter on vendor' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const socket = new RuntimeApiClient({
      address: { path: join(o.dir, 'haproxy.sock') },
      clock: new SystemClock(),
      random: new SeededRandom(1),
    });
    const weights = async () => Object.fromEntries((await socket.showServersState('web')).map((s) => [s.server, s.weight]));
    const applied = await weights();
    const worker = Number((await socket.showInfo()).Pid);
    process.kill(worker, 'SIGKILL');

    let reattached: { data: Record<string, unknown> } | undefined;
    for (let i = 0; i < 150 && reattached === undefined; i++) {
      await sleep(100);
      reattached = (await journal(up, 'haproxy.reattached')).at(-1);
    }
    assert.ok(reattached, 'the journal says piper reattached');
    t.diagnostic(`haproxy.reattached: ${JSON.stringify(reattached.data)}`);
    assert.equal(reattached.data.previousPid, String(worker));
    assert.notEqual(reattached.data.pid, String(worker));
    const web = (reattached.data.reapplied as Record<string, { asked: unknown }>).web;
    assert.deepEqual(web?.asked, { vendor: 1, inhouse: 3 });
    assert.deepEqual(await weights(), applied, 'the new worker runs the split piper had set, not the config’s');
    const exited = await journal(up, 'haproxy.exited');
    assert.ok(exited.length >= 1, 'and that HAProxy had exited');
    assert.ok((await journal(up, 'haproxy.started')).length >= 1);
    const served: string[] = [];
    for (let i = 0; i < 40; i++) served.push(await fetch(`${up.publicUrl}/`).then((r) => r.text()));
    const onInhouse = served.filter((b) => b === 'h1\n').length;
    assert.ok(onInhouse >= 27 && onInhouse <= 33, `three quarters on inhouse: ${onInhouse} of 40`);
  });
});
