// The backends of the balancer benchmarks: one nginx worker serving 100-byte answers on two
// loopback ports (and /healthz), so the backend side costs next to nothing next to the proxy; and
// nginx as a proxy, the peer the balancer is measured against.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A loopback port free at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `GET /` on the port answers 200 (at most 20 s). */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on port ${port}`);
}

/**
 * Writes `DIR/NAME.conf` for nginx run in the foreground (`nginx -p DIR -c FILE`): one worker, no
 * access log, connections kept alive for any number of requests, `http` inside the http block.
 * Returns its path.
 */
function writeNginxConf(dir: string, name: string, http: string): string {
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    `worker_processes 1; daemon off; pid ${dir}/${name}.pid; error_log stderr error;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
${http} }
`,
  );
  return file;
}

/** Writes `backends.conf` in `dir` for nginx serving 100-byte answers on `ports`; returns its path. */
export function writeNginxBackends(dir: string, ports: number[]): string {
  const body = 'x'.repeat(99);
  const servers = ports.map(
    (p) => `  server { listen 127.0.0.1:${p}; location / { return 200 "${body}\\n"; } location /healthz { return 200 "ok"; } }`,
  );
  return writeNginxConf(dir, 'backends', servers.join('\n'));
}

/**
 * Writes `proxy.conf` in `dir` for nginx as a reverse proxy on `port` in front of `backendPorts`:
 * round robin, upstream keep-alive (128 idle connections). Returns its path.
 */
export function writeNginxProxy(dir: string, port: number, backendPorts: number[]): string {
  const servers = backendPorts.map((p) => `server 127.0.0.1:${p};`).join(' ');
  return writeNginxConf(
    dir,
    'proxy',
    `  upstream b { ${servers} keepalive 128; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
  );
}
