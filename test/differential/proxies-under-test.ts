import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPiperUp } from '../balancer-process.ts';
import { EchoBackend } from './echo-backend.ts';

export const NGINX = '/usr/sbin/nginx';
export const HAPROXY = '/usr/sbin/haproxy';

/**
 * A proxy in front of its own two echo backends, routed alike in every proxy: `/api/` to `api`,
 * everything else to `web`.
 */
export interface ProxyUnderTest {
  name: 'piper' | 'nginx' | 'haproxy';
  port: number;
  api: EchoBackend;
  web: EchoBackend;
  /** What the proxy logged (stderr, error log), for a failure message. */
  log(): string;
  stop(): Promise<void>;
}

/** Throws, naming the Debian package, when `path` is not an executable. */
export function requireDebianBinary(path: string, pkg: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: the end-to-end differential needs the Debian package "${pkg}" (apt-get install ${pkg})`);
  }
}

/** A loopback port free at the time of the call (nginx and HAProxy cannot report a port 0 bind). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port`; rejects if `child` exits first or 10 s pass. */
async function waitForListener(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${port}: ${log()}`);
}

async function backends(): Promise<{ api: EchoBackend; web: EchoBackend }> {
  const [api, web] = await Promise.all([EchoBackend.start('api'), EchoBackend.start('web')]);
  return { api, web };
}

/** Starts a foreground child, its output kept; `stop` ends it and removes `dir`. */
async function startChild(
  name: ProxyUnderTest['name'],
  command: string,
  args: string[],
  dir: string,
  port: number,
  b: { api: EchoBackend; web: EchoBackend },
): Promise<ProxyUnderTest> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = (): string => out;
  await waitForListener(port, child, log);
  return {
    name,
    port,
    ...b,
    log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await Promise.all([b.api.close(), b.web.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `piper up` (a child process, as users run it) with two pools and a prefix route. */
export async function startPiper(): Promise<ProxyUnderTest> {
  const b = await backends();
  const up = await startPiperUp({
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: 'differential-admin-token-0123456789' },
    dashboard: { enabled: false },
    timeouts: { headers: '2s', request: '5s', idle: '5s', upstreamHeaders: '2s', upstreamBody: '2s' },
    pools: {
      api: { backends: [{ name: 'api1', url: `http://127.0.0.1:${b.api.port}` }], healthCheck: { enabled: false } },
      web: { backends: [{ name: 'web1', url: `http://127.0.0.1:${b.web.port}` }], healthCheck: { enabled: false } },
    },
    routes: [
      { name: 'api', match: { pathPrefix: '/api/' }, split: { api: 1 } },
      { name: 'web', match: { pathPrefix: '/' }, split: { web: 1 } },
    ],
  });
  return {
    name: 'piper',
    port: Number(new URL(up.publicUrl).port),
    ...b,
    log: () => up.stderr(),
    stop: async () => {
      // SIGTERM first; then SIGKILL, since piper up waits out its whole drain grace (10 s) even when
      // idle (the grace timer keeps it alive), and nothing is in flight here to wait for.
      const exited = up.stop();
      const killer = setTimeout(() => up.child.kill('SIGKILL'), 1_000);
      await exited;
      clearTimeout(killer);
      await Promise.all([b.api.close(), b.web.close()]);
    },
  };
}

/** nginx from Debian: one process in the foreground, upstream keep-alive, its files in a temp dir. */
export async function startNginx(): Promise<ProxyUnderTest> {
  requireDebianBinary(NGINX, 'nginx');
  const b = await backends();
  const dir = mkdtempSync(join(tmpdir(), 'piper-diff-nginx-'));
  const port = await freePort();
  const upstream = (name: string, p: number): string => `upstream ${name} { server 127.0.0.1:${p}; keepalive 8; }`;
  const pass = (name: string): string => `proxy_pass http://${name}; proxy_http_version 1.1; proxy_set_header Connection "";`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${upstream('api', b.api.port)}
  ${upstream('web', b.web.port)}
  server {
    listen 127.0.0.1:${port};
    location /api/ { ${pass('api')} }
    location / { ${pass('web')} }
  }
}
`,
  );
  return startChild('nginx', NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], dir, port, b);
}

/** HAProxy from Debian in the foreground (`-db`): its defaults, `path_beg /api/` to route. */
export async function startHaproxy(): Promise<ProxyUnderTest> {
  requireDebianBinary(HAPROXY, 'haproxy');
  const b = await backends();
  const dir = mkdtempSync(join(tmpdir(), 'piper-diff-haproxy-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 5s
frontend fe
  bind 127.0.0.1:${port}
  use_backend api if { path_beg /api/ }
  default_backend web
backend api
  server a 127.0.0.1:${b.api.port}
backend web
  server w 127.0.0.1:${b.web.port}
`,
  );
  return startChild('haproxy', HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], dir, port, b);
}
