import type { RequestListener, Server, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Agent, request } from 'undici';
import { SystemClock } from '../src/core/index.ts';
import { type MigrationDetail, RolloutClient } from '../src/rollout/index.ts';
import { ADMIN_TOKEN, certifyOverApi, journalEvents, type MigrationRig, migrationRig, waitFor } from './rollout-harness.ts';

/*
 * Issue 24's three measurements, shared by the bounded tests (test/judge-faults.test.ts) and the
 * benchmark (bench/rollout/judge-faults.ts): a real `piper up` (its own controller, so the fast
 * path reads the open window) in front of two node:http pools, 100 GETs a second through it, a
 * migration to `inhouse` held at 50 %, and a fault on the target.
 */

const RATE = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One client request: epoch ms when it was sent and when its answer ended (null while pending). */
interface Sent {
  start: number;
  end: number | null;
  status: number;
}

/**
 * An open-model load of GETs like the harness's `SteadyLoad`, keeping each request's send and end
 * times: the stall measurement needs how long each client waited, not only what it got.
 */
export class TimedLoad {
  readonly sent: Sent[] = [];
  readonly #url: string;
  readonly #rps: number;
  // Enough connections that requests held by a stalled pool never queue the others in the client.
  readonly #agent = new Agent({ connections: 256 });
  #timer: NodeJS.Timeout | undefined;

  constructor(url: string, rps: number) {
    this.#url = url;
    this.#rps = rps;
  }

  start(): void {
    let credit = 0;
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      credit += (this.#rps * (now - last)) / 1000;
      last = now;
      for (; credit >= 1; credit--) this.#send();
    }, 20);
  }

  /**
   * Requests sent from `from` to `until` (epoch ms), once each has its answer or its error. Counting
   * while the load runs would take a request sent a millisecond ago for a failure.
   */
  async settled(from: number, until: number): Promise<Sent[]> {
    const these = this.sent.filter((s) => s.start >= from && s.start <= until);
    // Every request ends by the upstream header timeout (10 s) at the latest.
    await waitFor('the counted requests to end', () => (these.every((s) => s.end !== null) ? true : undefined), 15_000);
    return these;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#agent.close();
  }

  #send(): void {
    const s: Sent = { start: Date.now(), end: null, status: 0 };
    this.sent.push(s);
    request(this.#url, { dispatcher: this.#agent })
      .then(async (res) => {
        await res.body.dump();
        s.status = res.statusCode;
      })
      .catch(() => {
        s.status = -1;
      })
      .finally(() => {
        s.end = Date.now();
      });
  }
}

/** Counts by status (-1: no answer, the connection failed), e.g. `{ "503": 4 }`. */
function byStatus(sent: readonly Sent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sent) out[s.status] = (out[s.status] ?? 0) + 1;
  return out;
}

/**
 * Makes a backend stop answering, its health checks included, as a hung process does: requests
 * are read and held, with no timer, until the server closes their connections.
 */
class StallSwitch {
  on = false;
  readonly #held = new Set<ServerResponse>();

  constructor(server: Server) {
    const answer = server.listeners('request')[0] as RequestListener;
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      if (!this.on) {
        answer(req, res);
        return;
      }
      req.resume();
      this.#held.add(res);
      res.once('close', () => this.#held.delete(res));
    });
  }

  get held(): number {
    return this.#held.size;
  }
}

interface FaultRig {
  rig: MigrationRig;
  load: TimedLoad;
  api: RolloutClient;
  /** The journal of the `piper up` (its controller's). */
  db: string;
  migration: MigrationDetail;
  close(): Promise<void>;
}

/**
 * `piper up` with pools vendor and inhouse, 100 GETs a second through it, a capacity result for
 * inhouse, and a migration to it started and held at 50 % for `holdMinutes`; resolves after a few
 * healthy seconds on the target.
 */
async function faultRig(o: { adaptive: boolean; sloThreshold: string; holdMinutes: number }): Promise<FaultRig> {
  const rig = await migrationRig({
    rps: 0,
    capacity: {},
    // As a migration's route names it: what the target's limit would shed goes to the source.
    route: { slo: { latency: { threshold: o.sloThreshold } }, failover: ['vendor'] },
    migration: { deadMan: '10s' },
    ...(o.adaptive ? {} : { inhouseAdmission: { adaptive: false } }),
  });
  const load = new TimedLoad(rig.up.publicUrl, RATE);
  const close = async () => {
    await load.stop();
    await rig.close();
  };
  try {
    load.start();
    await certifyOverApi(rig.up.adminUrl, 'inhouse');
    // The route has a history before its migration, as a route in service has: the gate compares
    // the capacity with its observed rate, and a step's relative-latency test starts from the
    // source's latencies of the last seconds (30 s are kept; 10 s here keep runs short).
    await sleep(10_000);
    const api = new RolloutClient({ apiUrl: rig.up.adminUrl, token: ADMIN_TOKEN, clock: new SystemClock() });
    const migration = await api.start({ route: 'web', to: 'inhouse', steps: [50, 100], stepDuration: `${o.holdMinutes}m` });
    const before = rig.inhouse.requests;
    await waitFor('traffic on the target', () => (rig.inhouse.requests > before + 100 ? true : undefined));
    return { rig, load, api, db: join(dirname(rig.up.configFile), 'piper.db'), migration, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The rollback as journaled: when the split was back on the source, and the rule's name. */
async function rollback(f: FaultRig, withinMs: number): Promise<{ at: number; reason: string }> {
  await waitFor(
    'the rollback',
    async () => {
      const phase = (await f.api.get(f.migration.id)).phase;
      if (phase === 'completed' || phase === 'aborted') throw new Error(`the migration ${phase} without a rollback`);
      return phase === 'rolled_back' ? true : undefined;
    },
    withinMs,
  );
  const rolled = journalEvents(f.db, ['migration.rolled_back'])[0];
  if (rolled === undefined) throw new Error('rolled back, but no migration.rolled_back in the journal');
  return { at: rolled.time, reason: String(rolled.data.reason ?? '').replace(/ \(.*$/s, '') };
}

export interface DegradeResult {
  adaptive: boolean;
  /** Fault start → split back on the source (ms). */
  rollbackMs: number;
  reason: string;
  /** The target's p99 in the window that rolled back (ms), when the judge decided it. */
  targetP99Ms: number | null;
  /** Client requests sent since the fault started that were not answered 200. */
  failed: number;
  /** Those by status. */
  failedBy: Record<string, number>;
}

/**
 * Degrade fault: from its start, 5 % of the target's requests are slower by 10 ms for every second
 * since, with no errors (issue 24). The route's SLO is 300 ms, which the target's p99 would cross
 * about 30 s in.
 */
export async function degradeRun(o: { adaptive: boolean }): Promise<DegradeResult> {
  const f = await faultRig({ adaptive: o.adaptive, sloThreshold: '300ms', holdMinutes: 5 });
  try {
    const faultAt = Date.now();
    f.rig.inhouse.delayMs = () => (Math.random() < 0.05 ? (10 * (Date.now() - faultAt)) / 1000 : 0);
    const rolled = await rollback(f, 60_000);
    // Those sent in the second after the split changed still reach the target until its connections drain.
    const failed = (await f.load.settled(faultAt, rolled.at + 1000)).filter((s) => s.status !== 200);
    const decision = journalEvents(f.db, ['migration.decision']).find((e) => e.data.action === 'rollback');
    const judge = decision?.data.judge as { target: { p99Ms: number } } | null | undefined;
    return {
      adaptive: o.adaptive,
      rollbackMs: rolled.at - faultAt,
      reason: rolled.reason,
      targetP99Ms: judge?.target.p99Ms ?? null,
      failed: failed.length,
      failedBy: byStatus(failed),
    };
  } finally {
    await f.close();
  }
}

export interface StallResult {
  /** Stall start → split back on the source (ms). */
  rollbackMs: number;
  reason: string;
  /** Client requests waiting for an answer when the split changed. */
  waitingAtRollback: number;
  /** The longest any of them waited past the split change (ms). */
  longestWaitBeyondMs: number;
  /** Client requests (all GETs, idempotent) answered 504 since the stall. */
  answered504: number;
  /** Client requests not answered 200 since the stall. */
  failed: number;
  /** Those by status. */
  failedBy: Record<string, number>;
}

/** Stall fault: the target stops answering anything, health checks included, and holds what it read. */
export async function stallRun(): Promise<StallResult> {
  const f = await faultRig({ adaptive: true, sloThreshold: '300ms', holdMinutes: 5 });
  try {
    const stall = new StallSwitch(f.rig.inhouse.server);
    const stallAt = Date.now();
    stall.on = true;
    const rolled = await rollback(f, 30_000);
    const caught = f.load.sent.filter((s) => s.start <= rolled.at && (s.end === null || s.end > rolled.at));
    const since = await f.load.settled(stallAt, rolled.at + 1000);
    return {
      rollbackMs: rolled.at - stallAt,
      reason: rolled.reason,
      waitingAtRollback: caught.length,
      longestWaitBeyondMs: Math.max(0, ...caught.map((s) => (s.end as number) - rolled.at)),
      answered504: since.filter((s) => s.status === 504).length,
      failed: since.filter((s) => s.status !== 200).length,
      failedBy: byStatus(since.filter((s) => s.status !== 200)),
    };
  } finally {
    await f.close();
  }
}

export interface AaResult {
  minutes: number;
  /** Client requests sent while watched. */
  requests: number;
  rollbacks: number;
  holds: number;
  /** Client requests not answered 200 while watched. */
  failed: number;
  /** Those by status. */
  failedBy: Record<string, number>;
}

/** A/A: both pools the same server, the migration held at 50 % and watched for `minutes`. */
export async function aaRun(minutes: number): Promise<AaResult> {
  const f = await faultRig({ adaptive: true, sloThreshold: '300ms', holdMinutes: minutes + 5 });
  try {
    const from = Date.now();
    await sleep(minutes * 60_000);
    const events = journalEvents(f.db, ['migration.rolling_back', 'migration.rolled_back', 'migration.held']);
    const watched = await f.load.settled(from, from + minutes * 60_000);
    const failed = watched.filter((s) => s.status !== 200);
    return {
      minutes,
      requests: watched.length,
      rollbacks: events.filter((e) => e.kind === 'migration.rolling_back').length,
      holds: events.filter((e) => e.kind === 'migration.held').length,
      failed: failed.length,
      failedBy: byStatus(failed),
    };
  } finally {
    await f.close();
  }
}
