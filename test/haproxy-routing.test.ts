import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseHostHeader } from '../src/balancer/host-match.ts';
import { normalizedTarget } from '../src/balancer/request-target.ts';
import { RouteRuntime, sortRoutes } from '../src/balancer/route-runtime.ts';
import { type PiperConfigInput, unwrapConfig, validateConfig } from '../src/config/index.ts';
import { findHaproxy, LOG_FIELDS, LOG_LINE_END, LOG_LINE_TAG, parseServerName, renderHaproxyConfig } from '../src/haproxy/index.ts';
import { FixtureBackend } from './backend-fixture.ts';

// A real HAProxy from Debian, run on the config piper renders, in front of real backends: it
// routes as piper's balancer does, splits by the weights piper computed, marks a failing backend
// down by its health checks, speaks TLS and HTTP/2, and logs the line piper's telemetry reads.

let dir = '';
let haproxy: ChildProcess | undefined;
let out = '';
let port = 0;
let tlsPort = 0;
let logs: UdpSocket | undefined;
const lines: string[] = [];
const b = {
  api: new FixtureBackend('api'),
  docs: new FixtureBackend('docs'),
  shop: new FixtureBackend('shop'),
  v1: new FixtureBackend('v1'),
  i1: new FixtureBackend('i1'),
};
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

const ROUTES: PiperConfigInput['routes'] = [
  { name: 'web', split: { vendor: 3, inhouse: 1 } },
  { name: 'api', match: { pathPrefix: '/api' }, split: { api: 1 } },
  { name: 'docs', match: { host: '*.example.com', pathPrefix: '/docs/' }, split: { docs: 1 } },
  { name: 'shop', match: { host: 'Shop.Example.com' }, split: { shop: 1 } },
];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen; haproxy said:\n${out}`);
}

/** Sends one raw request on its own connection; resolves the status and who answered. */
function raw(head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(got.slice(9, 12)), body: got.slice(got.indexOf('\r\n\r\n') + 4).trim() }));
  });
}

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One line of the Runtime API over the stats socket. */
function runtimeApi(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(dir, 'haproxy.sock'), () => socket.end(`${command}\n`));
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

before(async () => {
  findHaproxy({ binary: 'haproxy', searchPath: process.env.PATH }); // names the Debian package when missing
  dir = mkdtempSync(join(tmpdir(), 'piper-haproxy-routing-'));
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
      '/CN=shop.example.com',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'crt.pem'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(join(dir, 'site.pem'), readFileSync(join(dir, 'crt.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
  const urls = Object.fromEntries(await Promise.all(Object.entries(b).map(async ([k, v]) => [k, await v.listen()] as const)));
  [port, tlsPort] = [await freePort(), await freePort()];
  logs = createSocket('udp4');
  logs.on('message', (m) => lines.push(m.toString('utf8')));
  await new Promise<void>((resolve) => logs?.bind(0, '127.0.0.1', resolve));
  const fast = { interval: '100ms', timeout: '500ms', rise: 1, fall: 1 };
  const config = unwrapConfig(
    validateConfig({
      dataPlane: {
        kind: 'haproxy',
        haproxy: {
          statsSocket: 'haproxy.sock',
          serverStateFile: 'haproxy.state',
          log: { port: logs.address().port },
          nbthread: 1,
          stats: { enabled: false },
        },
      },
      listeners: [
        { name: 'public', address: '127.0.0.1', port },
        { name: 'public', address: '127.0.0.1', port: tlsPort, tls: { cert: 'site.pem' } },
      ],
      pools: {
        api: { backends: [{ name: 'api-1', url: urls.api }], healthCheck: fast },
        docs: { backends: [{ name: 'docs-1', url: urls.docs }], healthCheck: fast },
        shop: { backends: [{ name: 'shop-1', url: urls.shop }], healthCheck: fast },
        vendor: { backends: [{ name: 'vendor-1', url: urls.v1 }], healthCheck: fast },
        inhouse: { backends: [{ name: 'inhouse-1', url: urls.i1 }], healthCheck: fast, outlierDetection: { enabled: false } },
      },
      routes: ROUTES,
    }),
  );
  writeFileSync(join(dir, 'haproxy.cfg'), renderHaproxyConfig(config, { baseDir: dir, source: 'routing.yaml' }));
  haproxy = spawn(findHaproxy({ binary: 'haproxy', searchPath: process.env.PATH }), ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  haproxy.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  haproxy.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // Up once every server passed its first check and a routed request is answered.
  await waitFor('HAProxy serving with every server up', async () => {
    if (haproxy?.exitCode !== null) throw new Error(`haproxy exited: ${out}`);
    const state = await runtimeApi('show servers state').catch(() => '');
    const rows = state.split('\n').filter((l) => /^\d+ /.test(l));
    // Every route's backend holds every pool (those outside its split at weight 0, ready for a migration).
    return rows.length === ROUTES.length * 5 && rows.every((r) => r.split(' ')[5] === '2') ? true : undefined;
  });
});

after(async () => {
  agent.destroy();
  if (haproxy !== undefined && haproxy.exitCode === null) {
    const exited = new Promise((r) => haproxy?.once('exit', r));
    haproxy.kill('SIGTERM');
    await exited;
  }
  logs?.close();
  await Promise.all(Object.values(b).map((v) => v.close()));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** What piper's balancer does with a request: its status and the backends that may answer. */
function piperAnswer(hosts: readonly string[], target: string): { status: number; from: string[] } {
  const config = unwrapConfig(
    validateConfig({
      pools: Object.fromEntries(
        ['api', 'docs', 'shop', 'vendor', 'inhouse'].map((p) => [p, { backends: [{ name: p, url: 'http://127.0.0.1:1' }] }]),
      ),
      routes: ROUTES,
    }),
  );
  const routes = sortRoutes(config.routes.map((r) => new RouteRuntime(r, r.split, { kind: 'config', at: 0 })));
  const host = hosts.length === 1 ? parseHostHeader(hosts[0]) : null;
  if (host === null) return { status: 400, from: [] };
  const path = normalizedTarget(target);
  if (path === null) return { status: 400, from: [] };
  const route = routes.find((r) => r.matches(host, path));
  if (route === undefined) return { status: 404, from: [] };
  const names: Record<string, string[]> = { web: ['v1', 'i1'], api: ['api'], docs: ['docs'], shop: ['shop'] };
  return { status: 200, from: names[route.name] ?? [] };
}

test('HAProxy routes every host and path as piper does: most specific first, exact prefixes, normalised paths', async () => {
  const hosts = [
    ['shop.example.com'],
    ['SHOP.Example.com:8080'],
    ['x.example.com'],
    ['a.b.example.com'],
    ['example.com'],
    ['[::1]:80'],
    ['piper_internal'],
    ['_bad'],
    ['bad host'],
    ['a..b:99999999'],
    [],
    // Two different Hosts (HAProxy merges a Host repeated with the same value; piper refuses that too: docs/haproxy.md).
    ['x.example.com', 'shop.example.com'],
  ];
  const targets = [
    '/',
    '/api',
    '/api/',
    '/api/x',
    '/api?q=1',
    '/apix',
    '/API',
    '/docs',
    '/docs/',
    '/docs/a',
    '/%61pi/x',
    '/web/../api/x',
    '/api/../x',
    '/%2e%2e/api',
    '/api/%2E%2E/docs/a',
    '/./api',
    '/api%2Fx',
    '/a%2fb',
    '/%zz',
    '/docs/../../api',
  ];
  const mismatches: string[] = [];
  for (const h of hosts) {
    for (const target of targets) {
      const want = piperAnswer(h, target);
      const head = `GET ${target} HTTP/1.1\r\n${h.map((v) => `Host: ${v}\r\n`).join('')}Connection: close\r\n\r\n`;
      const got = await raw(head);
      const from = got.status === 200 ? got.body : '';
      if (got.status !== want.status || (want.status === 200 && !want.from.includes(from))) {
        mismatches.push(`${JSON.stringify(h)} ${target}: piper ${want.status} ${want.from.join('|')}, HAProxy ${got.status} ${from}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

test('the split 3:1 between two pools holds in HAProxy: a quarter of the requests on the in-house pool', async () => {
  const counts: Record<string, number> = { v1: 0, i1: 0 };
  for (let i = 0; i < 400; i++) {
    const r = await get('/', 'www.test');
    assert.equal(r.status, 200);
    counts[r.body] = (counts[r.body] ?? 0) + 1;
  }
  const share = (counts.i1 ?? 0) / 400;
  assert.ok(Math.abs(share - 0.25) < 0.03, `in-house share ${share} (${JSON.stringify(counts)})`);
});

test('a backend failing its health checks is marked down by them and gets no traffic; it returns once they pass', async () => {
  b.i1.mode = '5xx';
  const serverState = async (): Promise<string | undefined> => {
    const row = (await runtimeApi('show servers state web')).split('\n').find((l) => l.includes(' inhouse.inhouse-1 '));
    return row?.split(' ')[5];
  };
  // Only health checks reach it meanwhile (no traffic is sent, and this pool has no passive checks).
  await waitFor('inhouse-1 marked down', async () => ((await serverState()) === '0' ? true : undefined));
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) seen.add((await get('/', 'www.test')).body);
  assert.deepEqual([...seen], ['v1']);
  b.i1.mode = 'ok';
  await waitFor('inhouse-1 up again', async () => ((await serverState()) === '2' ? true : undefined));
  for (let i = 0; i < 40; i++) seen.add((await get('/', 'www.test')).body);
  assert.deepEqual([...seen].sort(), ['i1', 'v1']);
});

test('a listener with tls.cert serves HTTP/2 over TLS, routed like the plain one', async () => {
  const session = http2Connect(`https://127.0.0.1:${tlsPort}`, { ca: readFileSync(join(dir, 'crt.pem')), servername: 'shop.example.com' });
  try {
    const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string }>((resolve, reject) => {
      const stream = session.request({ ':path': '/', ':authority': 'shop.example.com' });
      let text = '';
      let code = 0;
      stream.on('response', (h) => {
        code = Number(h[':status']);
      });
      stream.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      stream.on('end', () => resolve({ status: code, body: text.trim(), alpn: String(session.alpnProtocol) }));
      stream.on('error', reject);
      stream.end();
    });
    assert.deepEqual({ status, body, alpn }, { status: 200, body: 'shop', alpn: 'h2' });
  } finally {
    session.close();
  }
});

test('each request sends piper one log line: its route, pool.backend server, status and timings', async () => {
  const before = lines.length;
  assert.equal((await get('/api/x', 'www.test')).status, 200);
  const line = await waitFor('the log line', async () => lines.slice(before).find((l) => l.includes(' api ')));
  const fields = line.trim().split(' ');
  assert.equal(fields[0], LOG_LINE_TAG);
  assert.equal(fields.length, 1 + LOG_FIELDS.length + 1);
  assert.equal(fields.at(-1), LOG_LINE_END);
  const named = Object.fromEntries(LOG_FIELDS.map(([name], i) => [name, fields[i + 1]]));
  assert.equal(named.frontend, 'listener.public');
  assert.equal(named.route, 'api');
  assert.deepEqual(parseServerName(named.server ?? ''), { pool: 'api', backend: 'api-1', failover: false });
  assert.equal(named.status, '200');
  assert.equal(named.termination, '--');
  assert.ok(Math.abs(Number(named.endMs) - Date.now()) < 60_000, `endMs ${named.endMs} is a Unix time in ms`);
  for (const timer of ['requestMs', 'queueMs', 'connectMs', 'responseMs', 'activeMs'] as const) {
    assert.match(named[timer] ?? '', /^\d+$/, timer);
  }
});
