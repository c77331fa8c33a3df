// A real HAProxy (Debian's /usr/sbin/haproxy) for the Runtime API and log-ingestion tests: a
// config written into a temp dir, one frontend, one backend `web` of piper-named servers, the
// stats socket at admin level (unix, and TCP on a free port), per-request lines in piper's
// log-format to a UDP port. Foreground (`-db`); `stop()` kills it and removes the dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_FORMAT } from '../src/haproxy/index.ts';

export const HAPROXY = '/usr/sbin/haproxy';

export interface HaproxyServer {
  /** `<pool>--<backend>`. */
  name: string;
  port: number;
  weight?: number;
  maxconn?: number;
}

export interface HaproxyOptions {
  servers: HaproxyServer[];
  /** `host:port` to send per-request lines to (piper's log-format), or none. */
  logTarget?: string;
  /** `timeout server` (default 5s) and `timeout queue` (default 5s), as HAProxy writes durations. */
  timeoutServer?: string;
  timeoutQueue?: string;
  /** HTTP health checks (`option httpchk GET /`, `check inter 100`): servers are DOWN until they pass. */
  checks?: boolean;
}

export interface RunningHaproxy {
  dir: string;
  /** The unix stats socket. */
  socket: string;
  /** The TCP stats socket's port on 127.0.0.1. */
  statsPort: number;
  /** The frontend's port on 127.0.0.1. */
  port: number;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** A loopback port free at the time of the call (HAProxy cannot report a port 0 bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether Debian's haproxy is installed (tests skip with the package name otherwise). */
export function haproxyMissing(): string | false {
  try {
    accessSync(HAPROXY, constants.X_OK);
    return false;
  } catch {
    return `${HAPROXY} is missing: apt-get install haproxy`;
  }
}

export async function startHaproxy(o: HaproxyOptions): Promise<RunningHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'piper-haproxy-'));
  const socket = join(dir, 'admin.sock');
  const [port, statsPort] = [await freePort(), await freePort()];
  const check = o.checks === true ? ' check inter 100 fall 1 rise 1' : '';
  const servers = o.servers.map(
    (s) =>
      `  server ${s.name} 127.0.0.1:${s.port} weight ${s.weight ?? 10}${s.maxconn === undefined ? '' : ` maxconn ${s.maxconn}`}${check}`,
  );
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  nbthread 1
  stats socket ${socket} mode 600 level admin
  stats socket ipv4@127.0.0.1:${statsPort} level admin
${o.logTarget === undefined ? '' : `  log ${o.logTarget} len 1024 local0\n`}defaults
  mode http
  log global
  log-format "${LOG_FORMAT}"
  timeout connect 1s
  timeout client 5s
  timeout server ${o.timeoutServer ?? '5s'}
  timeout queue ${o.timeoutQueue ?? '5s'}
  timeout http-request 2s
frontend public
  bind 127.0.0.1:${port}
  default_backend web
backend web
  balance roundrobin
${o.checks === true ? '  option httpchk GET /\n' : ''}${servers.join('\n')}
`,
  );
  let output = '';
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => {
    if (output.length < 20_000) output += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (output.length < 20_000) output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForSocket(socket, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, socket, statsPort, port, pid: child.pid as number, log: () => output, stop };
}

/** Resolves once the stats socket answers `show info`; rejects if HAProxy exits first or 10 s pass. */
async function waitForSocket(path: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ path }, () => s.end('show info\n'));
      let out = '';
      s.on('data', (d) => {
        out += d;
      });
      s.on('close', () => resolve(out.startsWith('Name: HAProxy')));
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy's stats socket never answered: ${log()}`);
}
