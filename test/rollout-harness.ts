import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { SystemClock } from '../src/core/index.ts';
import type { DataPlaneSnapshot } from '../src/data-plane/index.ts';
import { Journal, type JournalEventInput } from '../src/journal/index.ts';
import { postCapacityEvent } from '../src/loadgen/index.ts';
import { recordCapacityResult } from '../src/rollout/index.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const bin = new URL('../src/cli/bin.ts', import.meta.url).pathname;
export const ADMIN_TOKEN = 'rollout-admin-token-0123456789';

/**
 * A pool's backend for migration tests: answers 200, or a 500 for every `failEvery`-th request
 * (a deterministic 20 % at failEvery 5), and records when requests and failures happened.
 * Health checks (/healthz) always pass, so only the judge can see the failures.
 */
export class RolloutBackend {
  readonly server: Server;
  failEvery: number | null = null;
  /** How long to hold each answer, ms (a latency fault); null answers at once. */
  delayMs: (() => number) | null = null;
  requests = 0;
  firstFailureAt: number | null = null;
  lastRequestAt: number | null = null;
  #count = 0;

  constructor() {
    this.server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      req.resume();
      if (req.url === '/healthz') {
        res.end('ok');
        return;
      }
      this.requests++;
      this.lastRequestAt = Date.now();
      this.#count++;
      if (this.failEvery !== null && this.#count % this.failEvery === 0) {
        this.firstFailureAt ??= Date.now();
        res.writeHead(500).end('injected failure\n');
        return;
      }
      const delay = this.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(() => res.end('ok\n'), delay);
      else res.end('ok\n');
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** An open-model load: `rps` GETs per second to `url`, bounded by `maxRequests`; the rate may change. */
export class SteadyLoad {
  rps: number;
  sent = 0;
  statuses = new Map<number, number>();
  readonly #url: string;
  readonly #agent = new Agent({ connections: 32 });
  readonly #max: number;
  #timer: NodeJS.Timeout | undefined;
  #credit = 0;

  constructor(url: string, rps: number, maxRequests = 20_000) {
    this.#url = url;
    this.rps = rps;
    this.#max = maxRequests;
  }

  start(): void {
    // Credit by elapsed time, not by tick: a late timer on a busy machine sends the backlog, so the
    // offered rate stays what the test asked for (an open model).
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#credit += (this.rps * (now - last)) / 1000;
      last = now;
      while (this.#credit >= 1 && this.sent < this.#max) {
        this.#credit -= 1;
        this.sent++;
        request(this.#url, { dispatcher: this.#agent })
          .then(async (res) => {
            await res.body.dump();
            this.statuses.set(res.statusCode, (this.statuses.get(res.statusCode) ?? 0) + 1);
          })
          .catch(() => this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1));
      }
    }, 50);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#agent.close();
  }
}

/** A `piper migrate controller` child process. */
export interface ControllerProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function startController(adminUrl: string, db: string, configFile: string): Promise<ControllerProcess> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'migrate',
      'controller',
      '--admin',
      adminUrl,
      '--token',
      ADMIN_TOKEN,
      '--db',
      db,
      '--config',
      configFile,
      '--port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening rollout (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] as string, stderr: () => err, exited });
    });
    child.once('exit', (code) => reject(new Error(`controller exited with ${code}: ${err}`)));
  });
}

/** Runs `piper ARGS` to completion; resolves exit code and output. */
export function runPiper(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

export interface MigrationRig {
  vendor: RolloutBackend;
  inhouse: RolloutBackend;
  up: PiperUpProcess;
  load: SteadyLoad;
  db: string;
  configFile: string;
  dir: string;
  close(): Promise<void>;
}

/**
 * A balancer (`piper up`) with pools vendor and inhouse (one fixture backend each) and route
 * `web` all on vendor, steady load through it, and a journal file holding `capacity` results for
 * the given pools. The migration settings are short (2 s steps) so tests run in seconds.
 */
export async function migrationRig(options: {
  rps: number;
  capacity: Record<string, number>;
  migration?: Record<string, unknown>;
  /** HAProxy in front instead of piper's balancer (`piper up --data-plane haproxy`), its files in the rig's folder. */
  dataPlane?: 'piper' | 'haproxy';
  /** The inhouse pool's `admission` (default: the config's, adaptive). */
  inhouseAdmission?: Record<string, unknown>;
  /** Keys of route `web` over the ones below (e.g. `slo`, `failover`). */
  route?: Record<string, unknown>;
}): Promise<MigrationRig> {
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  const dir = mkdtempSync(join(tmpdir(), 'piper-rollout-'));
  const migration = {
    steps: [10, 50, 100],
    stepDuration: '2s',
    deadMan: '3s',
    judge: { minRequests: 5 },
    ...options.migration,
  };
  const config = {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN },
    pools: {
      vendor: { backends: [{ name: 'v1', url: vendorUrl }], healthCheck: { interval: '500ms' }, outlierDetection: { enabled: false } },
      inhouse: {
        backends: [{ name: 'i1', url: inhouseUrl }],
        healthCheck: { interval: '500ms' },
        outlierDetection: { enabled: false },
        ...(options.inhouseAdmission !== undefined ? { admission: options.inhouseAdmission } : {}),
      },
    },
    // A lax latency SLO: these tests are about gates, failures and restarts, and the machines
    // that run them are shared and noisy (a 1 s stall is not the regression under test).
    routes: [
      {
        name: 'web',
        match: { pathPrefix: '/' },
        split: { vendor: 100 },
        retries: { attempts: 0 },
        slo: { latency: { threshold: '3s' } },
        ...options.route,
      },
    ],
    migration,
    logging: { level: 'warn' },
    ...(options.dataPlane === 'haproxy'
      ? {
          dataPlane: {
            kind: 'haproxy',
            haproxy: {
              statsSocket: join(dir, 'haproxy.sock'),
              serverStateFile: join(dir, 'haproxy.state'),
              runDir: join(dir, 'haproxy'),
              log: { port: 0 },
              nbthread: 1,
              stats: { enabled: false },
            },
          },
        }
      : {}),
  };
  const up = await startPiperUp(config);
  const configFile = join(dir, 'piper.yaml');
  writeFileSync(configFile, stringify(config));
  const db = join(dir, 'rollout.db');
  await recordCapacity(db, up.adminUrl, options.capacity, { vendor: vendorUrl, inhouse: inhouseUrl });
  const load = new SteadyLoad(up.publicUrl, options.rps);
  load.start();
  return {
    vendor,
    inhouse,
    up,
    load,
    db,
    configFile,
    dir,
    async close() {
      await load.stop();
      await up.stop();
      await Promise.all([vendor.close(), inhouse.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Journals a `capacity.result` per pool in `db`, tied to the pools as the data plane at `adminUrl`
 * shows them, as a control plane records a posted result. `targets` names each pool's backend URL.
 */
export async function recordCapacity(
  db: string,
  adminUrl: string,
  capacity: Record<string, number>,
  targets: Record<string, string>,
): Promise<void> {
  const state = await request(`${adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const snapshot = (await state.body.json()) as DataPlaneSnapshot;
  const journal = Journal.open({ path: db, clock: new SystemClock() });
  try {
    for (const [pool, capacityRps] of Object.entries(capacity)) {
      const result: JournalEventInput = {
        kind: 'capacity.result',
        source: 'loadgen',
        subject: pool,
        actor: 'piper capacity',
        data: {
          target: targets[pool] ?? '',
          pool,
          slo: { p99Ms: 200, maxErrorRatio: 0.001 },
          capacityRps,
          confidence: 0.95,
          certifiedAt: Date.now(),
          trials: [],
        },
      };
      journal.append(recordCapacityResult(result, snapshot, Date.now()));
    }
  } finally {
    journal.close();
  }
}

/** Polls `probe` every 100 ms until it returns a value, for at most `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Reads the journal file's events of the given kinds (read-only, alongside the controller). */
export function journalEvents(db: string, kinds: string[]): ReturnType<Journal['query']> {
  const journal = Journal.open({ path: db, clock: new SystemClock(), readOnly: true });
  try {
    return journal.query({ kinds, limit: 10_000 });
  } finally {
    journal.close();
  }
}

/**
 * Journals through piper's admin API, as `piper capacity` posts it, that `pool` was certified at
 * `capacityRps` (default 1000/s) under a stricter objective than the rigs' routes ask for.
 */
export async function certifyOverApi(adminUrl: string, pool: string, o: { capacityRps?: number; target?: string } = {}): Promise<void> {
  await postCapacityEvent(adminUrl, ADMIN_TOKEN, {
    kind: 'capacity.result',
    source: 'loadgen',
    subject: pool,
    actor: 'piper capacity',
    data: {
      target: o.target ?? pool,
      pool,
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps: o.capacityRps ?? 1000,
      confidence: 0.95,
      certifiedAt: Date.now(),
      trials: [],
    },
  });
}
