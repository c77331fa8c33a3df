// A fleet on one host for the fault tests of issue 19: two data planes (`piper up --role data`), two
// control planes (`piper control`) sharing a throwaway PostgreSQL, pools vendor and inhouse, and a
// steady load through both data planes. Every process is real and on loopback; `close()` removes all.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { SystemClock } from '../src/core/index.ts';
import { Journal, type JournalEvent } from '../src/journal/index.ts';
import { type PostgresCluster, startPostgres } from './postgres-fixture.ts';
import { ADMIN_TOKEN, RolloutBackend, recordCapacity, SteadyLoad, waitFor } from './rollout-harness.ts';

const bin = new URL('../src/cli/bin.ts', import.meta.url).pathname;

/** A piper child process and the URLs it printed (`listening NAME URL`). */
export interface PiperProcess {
  readonly name: string;
  child: ChildProcess;
  urls: Record<string, string>;
  args: string[];
  stderr(): string;
  /** Resolves when the process has exited (code, or null after a signal). */
  exited: Promise<number | null>;
}

/** Starts `piper ARGS` and waits for it to print a `listening NAME URL` line for each of `wants`. */
export function startPiper(name: string, args: string[], wants: string[]): Promise<PiperProcess> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const urls: Record<string, string> = {};
      for (const m of out.matchAll(/listening (\S+) (\S+)/g)) urls[m[1] as string] = m[2] as string;
      if (wants.every((w) => urls[w] !== undefined)) resolve({ name, child, urls, args, stderr: () => err, exited });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening: ${err}`)));
  });
}

/** kill -9 (or another signal) and, for a fatal one, wait for the exit. */
export async function signal(p: PiperProcess, sig: NodeJS.Signals): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(sig);
  if (sig === 'SIGKILL' || sig === 'SIGTERM') await p.exited;
}

export interface Fleet {
  pg: PostgresCluster;
  db: string;
  vendor: RolloutBackend;
  inhouse: RolloutBackend;
  edges: PiperProcess[];
  /** What the control planes reach each data plane's admin API through. */
  relays: AdminRelay[];
  controls: PiperProcess[];
  loads: SteadyLoad[];
  dir: string;
  /** Restarts a stopped data plane with the same ports, so the control planes find it again. */
  restartEdge(i: number): Promise<PiperProcess>;
  /** Starts control plane `i` again after it was killed. */
  restartControl(i: number): Promise<PiperProcess>;
  /** The control plane that holds the lease now (asks each; the leader answers `role: leader`). */
  leader(): Promise<{ index: number; term: number }>;
  /** Events of the given kinds from the shared journal, oldest first. */
  events(kinds: string[]): JournalEvent[];
  close(): Promise<void>;
}

export interface FleetOptions {
  rps: number;
  migration?: Record<string, unknown>;
  capacity: Record<string, number>;
}

/**
 * A TCP relay between the control planes and one data plane's admin API, which a test can cut: the
 * data plane keeps serving its clients, but the control planes can no longer reach it (a partition).
 */
export class AdminRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  port = 0;

  constructor(targetPort: number) {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  /** Refuses new connections and drops the open ones until `mend()`. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  mend(): void {
    this.#cut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const pg = await startPostgres();
  const db = pg.createDatabase();
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  const dir = mkdtempSync(join(tmpdir(), 'piper-fleet-'));
  const migration = { steps: [10, 50, 100], stepDuration: '3s', deadMan: '3s', judge: { minRequests: 5 }, ...o.migration };
  const base = {
    pools: {
      vendor: { backends: [{ name: 'v1', url: vendorUrl }], healthCheck: { interval: '500ms' }, outlierDetection: { enabled: false } },
      inhouse: { backends: [{ name: 'i1', url: inhouseUrl }], healthCheck: { interval: '500ms' }, outlierDetection: { enabled: false } },
    },
    routes: [
      { name: 'web', match: { pathPrefix: '/' }, split: { vendor: 100 }, retries: { attempts: 0 }, slo: { latency: { threshold: '3s' } } },
    ],
    migration,
    logging: { level: 'warn' },
  };
  // Data planes bind fixed (free) ports, so a restarted one is found at the same address.
  const edgePorts = await Promise.all([0, 1].map(async () => ({ public: await freePort(), admin: await freePort() })));
  const relays = edgePorts.map((p) => new AdminRelay(p.admin));
  await Promise.all(relays.map((r) => r.listen()));
  const edgeArgs = edgePorts.map((ports, i) => {
    const file = join(dir, `edge-${i}.yaml`);
    writeFileSync(
      file,
      stringify({
        ...base,
        listeners: [{ name: 'public', address: '127.0.0.1', port: ports.public }],
        // The control planes come through the relay: its address is the Host they send.
        admin: { address: '127.0.0.1', port: ports.admin, token: ADMIN_TOKEN, allowedHosts: [`127.0.0.1:${relays[i]?.port}`] },
      }),
    );
    return ['up', '--role', 'data', '--config', file];
  });
  const edgeName = (i: number): string => `edge-${String.fromCharCode(97 + i)}`;
  const edges: PiperProcess[] = [];
  for (const [i, args] of edgeArgs.entries()) edges.push(await startPiper(edgeName(i), args, ['public', 'admin']));
  const controlArgs = [0, 1].map((i) => {
    const file = join(dir, `control-${i}.yaml`);
    writeFileSync(
      file,
      stringify({
        ...base,
        storage: { kind: 'postgres', url: db },
        admin: { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN },
        dashboard: { enabled: false },
        dataPlanes: edges.map((e, j) => ({
          name: e.name,
          kind: 'remote',
          admin: `http://127.0.0.1:${relays[j]?.port}`,
          token: ADMIN_TOKEN,
        })),
        control: { name: `cp-${i + 1}`, lease: '2s' },
      }),
    );
    return ['control', '--config', file];
  });
  const controls: PiperProcess[] = [];
  for (const [i, args] of controlArgs.entries()) controls.push(await startPiper(`cp-${i + 1}`, args, ['admin']));

  await recordCapacity(db, edges[0]?.urls.admin as string, o.capacity, { vendor: vendorUrl, inhouse: inhouseUrl });
  const loads = edges.map((e) => new SteadyLoad(e.urls.public as string, o.rps / 2));
  for (const l of loads) l.start();

  const fleet: Fleet = {
    pg,
    db,
    vendor,
    inhouse,
    edges,
    relays,
    controls,
    loads,
    dir,
    async restartEdge(i) {
      const p = await startPiper(edgeName(i), edgeArgs[i] as string[], ['public', 'admin']);
      edges[i] = p;
      return p;
    },
    async restartControl(i) {
      const p = await startPiper(`cp-${i + 1}`, controlArgs[i] as string[], ['admin']);
      controls[i] = p;
      return p;
    },
    async leader() {
      return waitFor('a leader', async () => {
        for (const [index, c] of controls.entries()) {
          if (c.child.exitCode !== null || c.child.signalCode !== null) continue;
          const res = await request(`${c.urls.admin}/api/v1/control`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
            headersTimeout: 500,
          }).catch(() => null);
          if (res === null) continue;
          const body = (await res.body.json()) as { role?: string; term?: number };
          if (body.role === 'leader' && typeof body.term === 'number') return { index, term: body.term };
        }
        return undefined;
      });
    },
    events(kinds) {
      const j = Journal.open({ path: db, clock: new SystemClock() });
      try {
        return j.query({ kinds, limit: 10_000 });
      } finally {
        j.close();
      }
    },
    async close() {
      // A test may have stopped a load or killed a process already: every step runs whatever the others did.
      await Promise.allSettled(loads.map((l) => l.stop()));
      for (const p of [...controls, ...edges]) {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
        await signal(p, 'SIGTERM').catch(() => undefined);
      }
      await Promise.allSettled([vendor.close(), inhouse.close(), ...relays.map((r) => r.close())]);
      pg.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/** Starts a migration of `web` to inhouse on the leader's rollout API; returns its id. */
export async function startMigration(fleet: Fleet): Promise<string> {
  const { index } = await fleet.leader();
  const res = await request(`${fleet.controls[index]?.urls.admin}/api/v1/migrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ route: 'web', to: 'inhouse', actor: 'fault-test' }),
  });
  const body = (await res.body.json()) as { id?: string };
  if (res.statusCode !== 201 || body.id === undefined) throw new Error(`migration refused: ${res.statusCode} ${JSON.stringify(body)}`);
  return body.id;
}

/** Failed requests of all loads (status 0 = no answer, or 5xx). */
export function failures(fleet: Fleet): number {
  let n = 0;
  for (const l of fleet.loads) for (const [status, count] of l.statuses) if (status === 0 || status >= 500) n += count;
  return n;
}
