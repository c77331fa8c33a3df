import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Clock, formatDuration, isPiperError, type Random } from '../core/index.ts';
import { type Incident, JournalHttpClient, writePostmortemFile } from '../journal/index.ts';
import {
  type CapacityResult,
  capacityEvent,
  findCapacity,
  type LoadResult,
  postCapacityEvent,
  type RequestSpec,
  runLoad,
  stagesPlan,
} from '../loadgen/index.ts';
import { type MigrationView, RolloutClient } from '../rollout/index.ts';
import { demoPlan } from './demo-plan.ts';
import { type DemoFacts, summaryRows } from './demo-summary.ts';
import { BETA_COOKIE, CAPACITY_HOST, type DemoDataPlane, startTopology } from './demo-topology.ts';
import type { Narrator } from './narrator.ts';
import { ProcessGroup } from './process-group.ts';

export interface DemoOptions {
  fast: boolean;
  /** Quit after the summary instead of keeping the dashboard up. */
  exit: boolean;
  /** What serves the traffic: piper's own balancer (default) or HAProxy steered by piper. */
  dataPlane?: DemoDataPlane;
  seed: number;
  /** Where the postmortem is written when there is no `dataDir` (else into `dataDir`). */
  cwd: string;
  /** Scratch folder for data and logs; a fresh temporary one when absent (removed at the end). */
  dataDir?: string;
  clock: Clock;
  random: Random;
  narrator: Narrator;
  signal: AbortSignal;
  renderTable: (headers: readonly string[], rows: readonly (readonly (string | number)[])[]) => string;
}

export interface DemoOutcome {
  facts: DemoFacts;
  /** The closing table's rows as printed (`summaryRows`): label, 2017, with piper. */
  rows: string[][];
  postmortemFile: string;
  incidentId: number;
  migrationId: string;
  /** Exit code (or signal) of every process the demo started. */
  exits: Record<string, number | string>;
}

/**
 * The seed's afternoon, replayed: steady traffic on the vendor pool; a move to the in-house pool
 * refused for want of a capacity proof; the capacity test, refused again with numbers; the
 * override and the stepped move; the judge's rollback; the incident and its postmortem.
 */
export async function runDemo(o: DemoOptions): Promise<DemoOutcome> {
  const n = o.narrator;
  const plan = demoPlan(o.fast);
  const dir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'piper-demo-')));
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'processes.log');
  const logLines: string[] = [];
  const onLine = (name: string, line: string): void => {
    if (logLines.length < 50_000) logLines.push(`${name}: ${line}`);
  };
  const group = new ProcessGroup();
  const traffic = new AbortController();
  const abortTraffic = (): void => traffic.abort(new Error('demo stopped'));
  o.signal.addEventListener('abort', abortTraffic, { once: true });
  let trafficDone: Promise<LoadResult | undefined> = Promise.resolve(undefined);
  try {
    const token = randomBytes(16).toString('hex');
    const dataPlane = o.dataPlane ?? 'piper';
    const front = dataPlane === 'haproxy' ? 'HAProxy, started and steered by piper up' : "piper's balancer";
    n.say(`starting 3 vendor servers, 2 in-house servers (each emulating ${plan.inhouseCapacityRps} req/s of capacity) and ${front}`);
    const topo = await startTopology(group, dir, plan, token, onLine, dataPlane);
    n.good(`dashboard: ${topo.dashboardUrl}  (sign in with token ${token})`);
    n.say(`${dataPlane === 'haproxy' ? 'HAProxy' : 'balancer'}: ${topo.publicUrl}   admin API: ${topo.adminUrl}`);

    const journal = new JournalHttpClient(topo.adminUrl, token);
    const rollout = new RolloutClient({ apiUrl: topo.adminUrl, token, clock: o.clock });
    const kinds = await requestKinds(topo.vendor.concat(topo.inhouse));
    const mix = betaUsersSending(kinds);

    // Beta traffic: steady first, then growing towards the peak while the team migrates.
    const rampMs = Math.round(plan.steadyMs * 2);
    trafficDone = runLoad({
      target: topo.publicUrl,
      requests: mix,
      model: {
        kind: 'open',
        plan: stagesPlan(`${plan.steadyMs}ms:${plan.startRps}/s,${rampMs}ms:${plan.peakRps}/s,1h:${plan.peakRps}/s`, plan.startRps),
      },
      clock: o.clock,
      random: o.random,
      connections: 32,
      timeoutMs: 5_000,
      signal: traffic.signal,
    }).catch(() => undefined);

    // Act 1
    n.act(1, 'steady traffic on the vendor pool');
    n.say(
      `beta traffic: ${plan.startRps} req/s of website pages, compression uploads and file downloads, growing to ${plan.peakRps} req/s`,
    );
    await o.clock.sleep(plan.steadyMs, o.signal);
    n.say(describeState(await poolRates(topo.adminUrl, token)));

    // Act 2
    n.act(2, 'the operator asks to move all traffic to the in-house pool');
    n.say('richard: piper migrate start web --to inhouse --steps 100');
    await expectRefusal(n, () => rollout.start({ route: 'web', to: 'inhouse', steps: [100], actor: 'richard' }));

    // Act 3
    n.act(3, 'the capacity test of the in-house pool');
    n.say(`piper capacity --pool inhouse --slo 'p99<300ms,errors<1%' --require ${plan.headroom}x --peak ${plan.peakRps}/s`);
    const capacityRequests = kinds.filter((r) => r.method === 'GET').map((r) => ({ ...r, headers: { ...r.headers, host: CAPACITY_HOST } }));
    const capacity = await findCapacity({
      target: topo.publicUrl,
      pool: 'inhouse',
      requests: capacityRequests,
      slo: { p99Ms: 300, maxErrorRatio: 0.01 },
      clock: o.clock,
      random: o.random,
      require: { factor: plan.headroom, peakRps: plan.peakRps },
      startRps: plan.capacityStartRps,
      minRps: 2,
      maxRps: plan.peakRps * plan.headroom * 2,
      trialMs: plan.capacityTrialMs,
      maxTrialMs: plan.capacityMaxTrialMs,
      warmupMs: 1_000,
      precision: plan.capacityPrecision,
      confirmations: 1,
      maxTrials: 12,
      signal: o.signal,
      onProgress: (e) => {
        if (e.type === 'trial-end') {
          const v = e.verdict;
          const why = v.verdict === 'pass' ? '' : `: ${v.reasons.join('; ')}`;
          n.say(
            `  trial at ${v.rateRps.toFixed(0)} req/s for ${formatDuration(v.durationMs)}: ${v.verdict} (p99 ${v.p99Ms.toFixed(0)} ms, errors ${(v.errorRatio * 100).toFixed(1)}%${why})`,
          );
        }
      },
    });
    await postCapacityEvent(topo.adminUrl, token, capacityEvent(capacity, capacityRequests));
    reportCapacity(n, capacity, plan.headroom, plan.peakRps);
    n.say('richard: piper migrate start web --to inhouse');
    await expectRefusal(n, () => rollout.start({ route: 'web', to: 'inhouse', actor: 'richard' }));

    // Act 4
    n.act(4, 'the operator overrides the gate, as the 2017 team effectively did');
    const reason = 'we ran tests for a week; the in-house servers are enough';
    n.say(`richard: piper migrate start web --to inhouse --override-capacity-gate "${reason}"`);
    const started = await rollout.start({ route: 'web', to: 'inhouse', actor: 'richard', overrideCapacityGate: reason });
    n.warn(`gate overridden; migration ${started.id} moves traffic in steps: ${started.plan.steps.join('% → ')}%`);
    const final = await followMigration(
      n,
      rollout,
      started.id,
      o.clock,
      plan.actTimeoutMs + plan.steps.length * plan.stepDurationMs,
      o.signal,
    );
    if (final.phase === 'rolled_back') {
      // How long it took is the incident's time to mitigate, in the closing table.
      n.good(`rolled back: all traffic on the vendor pool again (${final.rollback?.reason ?? ''})`);
    } else {
      n.warn(`migration ended ${final.phase}`);
    }

    // Act 5
    n.act(5, 'the incident and its postmortem');
    const incident = await waitForIncident(journal, o.clock, plan.actTimeoutMs + plan.resolveAfterMs, o.signal, (i) => {
      n.say(`incident #${i.id} ${i.status}: ${i.title}`);
    });
    const report = await journal.report(incident.id);
    const markdown = await journal.postmortem(incident.id, 'md');
    // With the data when it is kept; a temporary data folder is removed at the end, so then the current one.
    const postmortemFile = await writePostmortemFile(resolve(o.dataDir ?? o.cwd), report.incident, markdown, 'md');
    n.good(`postmortem written to ${postmortemFile} and shown on the dashboard (Incidents → #${incident.id})`);

    traffic.abort(new Error('demo done'));
    await trafficDone;
    const facts: DemoFacts = { incidentId: incident.id, numbers: report.numbers };
    const rows = summaryRows(facts);
    n.raw('');
    n.raw(o.renderTable(['', '31 March 2017', `with piper (incident #${incident.id})`], rows));
    n.raw('  with piper: what the clients of the balancer received during the incident (docs/journal.md, "Numbers")');
    n.raw('');

    if (!o.exit) {
      n.say(`the dashboard stays up at ${topo.dashboardUrl} (token ${token}); Ctrl-C to stop`);
      await new Promise<void>((done) => (o.signal.aborted ? done() : o.signal.addEventListener('abort', () => done(), { once: true })));
    }
    const exits = await group.close();
    const outcome: DemoOutcome = { facts, rows, postmortemFile, incidentId: incident.id, migrationId: final.id, exits };
    // Kept with the data (when --data-dir is given) so a run can be checked against its journal.
    await writeFile(join(dir, 'summary.json'), `${JSON.stringify(outcome, null, 2)}\n`);
    return outcome;
  } finally {
    traffic.abort(new Error('demo stopped'));
    o.signal.removeEventListener('abort', abortTraffic);
    await trafficDone;
    await group.close();
    await writeFile(logFile, `${logLines.join('\n')}\n`).catch(() => undefined);
    if (o.dataDir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** The beta's users: each sends the route's sticky cookie, so the balancer counts users, not one load generator. */
const BETA_USERS = 200;

/** The mix of request kinds sent by {@link BETA_USERS} users, each with their own cookie (the web route's sticky key). */
function betaUsersSending(kinds: readonly RequestSpec[]): RequestSpec[] {
  return Array.from({ length: BETA_USERS }, (_, u) => {
    const cookie = `${BETA_COOKIE}=beta-${String(u + 1).padStart(3, '0')}`;
    return kinds.map((k) => ({ ...k, headers: { ...k.headers, cookie }, weight: k.weight / BETA_USERS }));
  }).flat();
}

/** Website pages, compression uploads and downloads of a file every backend holds. */
async function requestKinds(backends: readonly string[]): Promise<RequestSpec[]> {
  const text = await readFile(new URL('../../examples/piper.yaml', import.meta.url), 'utf8').catch(() =>
    'Pied Piper middle-out compression. '.repeat(200),
  );
  let fileId: string | null = null;
  for (const b of backends) {
    const res = await fetch(`${b}/api/v1/files?name=pied-piper.txt`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: text,
    });
    if (!res.ok) throw new Error(`could not seed ${b}: HTTP ${res.status} ${await res.text()}`);
    fileId = ((await res.json()) as { id: string }).id;
  }
  const body = 'The quick middle-out brown fox. '.repeat(256);
  const get = (name: string, path: string, weight: number): RequestSpec => ({ name, method: 'GET', path, headers: {}, body: null, weight });
  return [
    get('home', '/', 30),
    get('status', '/status', 10),
    get('files list', '/api/v1/files?limit=20', 15),
    ...(fileId !== null ? [get('download', `/api/v1/files/${fileId}`, 20)] : []),
    {
      name: 'compress',
      method: 'POST',
      path: '/api/v1/compress?codec=zstd&level=3',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      weight: 25,
    },
  ];
}

interface PoolRate {
  pool: string;
  rps: number;
  failed: number;
  p99Ms: number;
}

async function poolRates(adminUrl: string, token: string): Promise<PoolRate[]> {
  const res = await fetch(`${adminUrl}/api/v1/windows`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as {
    windows: { pools: Record<string, { requests: number; failed: number; latency: { p99: number } }> }[];
  };
  const last = body.windows.slice(-5);
  const pools = new Map<string, PoolRate>();
  for (const w of last) {
    for (const [pool, s] of Object.entries(w.pools)) {
      const p = pools.get(pool) ?? { pool, rps: 0, failed: 0, p99Ms: 0 };
      p.rps += s.requests / last.length;
      p.failed += s.failed;
      p.p99Ms = Math.max(p.p99Ms, s.latency.p99);
      pools.set(pool, p);
    }
  }
  return [...pools.values()];
}

function describeState(rates: PoolRate[]): string {
  return rates.map((r) => `${r.pool}: ${r.rps.toFixed(0)} req/s, ${r.failed} failed, p99 ${r.p99Ms.toFixed(0)} ms`).join('; ');
}

async function expectRefusal(n: Narrator, start: () => Promise<MigrationView>): Promise<void> {
  try {
    const m = await start();
    n.bad(`unexpected: the gate let migration ${m.id} start`);
    throw new Error('the capacity gate did not refuse the move');
  } catch (err) {
    if (!isPiperError(err)) throw err;
    n.bad(`refused by the capacity gate [${err.code}]: ${err.message}`);
  }
}

function reportCapacity(n: Narrator, c: CapacityResult, headroom: number, peak: number): void {
  const need = headroom * peak;
  const line = `certified capacity of the in-house pool: ${c.capacityRps.toFixed(0)} req/s (confidence ${(c.confidence * 100).toFixed(0)}%); needed: ${headroom} × peak ${peak} req/s = ${need} req/s`;
  if (c.capacityRps >= need) n.good(line);
  else n.bad(line);
}

async function followMigration(
  n: Narrator,
  rollout: RolloutClient,
  id: string,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<MigrationView> {
  const deadline = clock.now() + timeoutMs;
  let lastPercent = -1;
  let lastPhase = '';
  for (;;) {
    const m = await rollout.get(id);
    if (m.targetPercent !== lastPercent || m.phase !== lastPhase) {
      // Once rolling back, the next line gives the rule that fired; the last judged window (often a
      // pass, when the fast path acted on the open one) would contradict it.
      const j = m.phase === 'rolling_back' || m.phase === 'rolled_back' ? null : m.judge;
      const judge = j
        ? ` — judge: ${j.verdict}${j.reasons.length ? ` (${j.reasons.join(', ')})` : ''}, target errors ${(j.target.errorRatio * 100).toFixed(1)}%`
        : '';
      n.say(`${m.phase}: ${m.targetPercent}% of web on inhouse${judge}`);
      lastPercent = m.targetPercent;
      lastPhase = m.phase;
    }
    if (m.phase === 'completed' || m.phase === 'rolled_back' || m.phase === 'aborted') return m;
    if (clock.now() > deadline) throw new Error(`migration ${id} did not finish within ${formatDuration(timeoutMs)}`);
    await clock.sleep(250, signal);
  }
}

async function waitForIncident(
  journal: JournalHttpClient,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal,
  onChange: (i: Incident) => void,
): Promise<Incident> {
  const deadline = clock.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { incidents } = await journal.incidents();
    const newest = incidents[0];
    if (newest !== undefined && newest.status !== last) {
      onChange(newest);
      last = newest.status;
    }
    if (newest?.status === 'resolved') return newest;
    if (clock.now() > deadline) {
      if (newest !== undefined) return newest;
      throw new Error(`no incident was opened within ${formatDuration(timeoutMs)}`);
    }
    await clock.sleep(500, signal);
  }
}
