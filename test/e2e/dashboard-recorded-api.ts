// A control plane with recorded state for the dashboard's browser test, used until `piper up` runs
// with the journal and rollout wired: the docs/api.md paths the dashboard calls, answering with
// the shapes the balancer, journal and rollout parts produce (DataPlaneSnapshot, a fleet of two, TelemetryWindow,
// JournalEvent, MigrationState with gate/judge/decisions, IncidentReport). Splits, migrations,
// acks and drains really change the state; windows are synthesized each second from the split.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  buildPostmortem,
  checkEvent,
  figureRows,
  type Incident,
  type IncidentNumbers,
  type IncidentReport,
  type JournalEvent,
  type JournalEventInput,
  type PostmortemDocument,
  renderMarkdown,
  summarizeEvent,
} from '../../src/journal/index.ts';
import type { GateResult } from '../../src/rollout/index.ts';

type Json = Record<string, unknown>;
type Split = Record<string, number>;

type Event = JournalEvent & { summary: string };

const POOLS = { vendor: ['v1', 'v2', 'v3'], inhouse: ['h1', 'h2'] } as const;
const RATE = 240;

export interface RecordedApi {
  api: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  split(route: string): Split;
  close(): void;
}

/** Builds the recorded control plane; `now` is the wall clock of the test process. */
export function createRecordedApi(now: () => number): RecordedApi {
  const routes = [
    { name: 'web', host: '*', pathPrefix: '/', split: { vendor: 100 } as Split, failover: ['vendor'], deadMan: null as Json | null },
    // The capacity test's own way in (routes[].internal): shown apart, never offered for a migration.
    {
      name: 'capacity-inhouse',
      host: 'inhouse.capacity.internal',
      pathPrefix: '/',
      split: { inhouse: 100 } as Split,
      failover: [] as string[],
      deadMan: null as Json | null,
    },
  ];
  const health: Record<string, string> = {};
  const events: Event[] = [];
  const windows: Json[] = [];
  const streams = new Set<{ kind: 'window' | 'journal'; res: ServerResponse }>();
  const migrations: Json[] = [];
  const start = now();

  /** Records an event in the catalogue's shape (docs/journal.md), sent with its summary as the control plane does. */
  function append(input: JournalEventInput, time = now()): Event {
    const mismatch = checkEvent(input);
    if (mismatch !== null) throw new Error(`recorded ${input.kind} does not match the catalogue: ${mismatch.field} ${mismatch.problem}`);
    const recorded = { id: events.length + 1, time, actor: input.source, ...input } as JournalEvent;
    const e = { ...recorded, summary: summarizeEvent(recorded) };
    events.push(e);
    for (const s of streams) if (s.kind === 'journal') s.res.write(`event: journal\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
    return e;
  }

  // The seed's afternoon, recorded: capacity results, a failed move, the rollback, the incident.
  const t0 = start - 3 * 3_600_000;
  const trials = (cap: number) =>
    [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25].map((f) => {
      const rate = Math.round(cap * f);
      const over = f > 1;
      return {
        rateRps: rate,
        durationMs: 5000,
        p99Ms: over ? 180 + (f - 1) * 900 : 40 + f * 90,
        errorRatio: over ? (f - 1) * 0.08 : 0,
        achievedRps: over ? cap * 1.02 : rate,
        verdict: over ? 'fail' : 'pass',
      };
    });
  const capacity = (pool: string, port: number, capacityRps: number, at: number, passed: boolean): JournalEventInput => ({
    kind: 'capacity.result',
    source: 'loadgen',
    subject: pool,
    actor: 'piper capacity',
    data: {
      target: `http://127.0.0.1:${port}`,
      pool,
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps,
      confidence: 0.95,
      certifiedAt: at,
      require: { factor: 2, peakRps: 300, passed },
      trials: trials(capacityRps),
    },
  });
  append(capacity('vendor', 9001, 1200, t0, true), t0);
  append(capacity('inhouse', 9002, 310, t0 + 60_000, false), t0 + 60_000);
  const i0 = t0 + 30 * 60_000;
  const m1 = { migration: 'm-0001', route: 'web', from: 'vendor', to: 'inhouse' };
  const m1Gate = gate('inhouse', 1, 2);
  append(
    {
      kind: 'migration.gate_overridden',
      source: 'rollout',
      subject: 'web',
      actor: 'gilfoyle',
      data: {
        ...m1,
        // Typed by the operator: Markdown in it must stay text (no link, no emphasis) wherever it is shown.
        reason: 'the servers passed [a week of tests](http://evil.example/x); see __load_test__ and *stress_report*',
        who: 'gilfoyle',
        capacityRps: 310,
        requiredRps: 600,
        projectedRps: 300,
        headroom: 2,
        refusals: m1Gate.refusals.map((r) => r.message),
        gate: m1Gate,
      },
    },
    i0 - 600_000,
  );
  append(
    {
      kind: 'split.changed',
      source: 'balancer',
      subject: 'web',
      actor: 'gilfoyle',
      data: {
        from: { vendor: 100, inhouse: 0 },
        to: { vendor: 0, inhouse: 100 },
        reason: 'migration m-0001: promote_all to 100% on inhouse',
        deadMan: null,
      },
    },
    i0 - 60_000,
  );
  append(
    {
      kind: 'alert.firing',
      source: 'alert',
      subject: 'web',
      actor: 'piper',
      data: {
        alert: 'web:availability:fast',
        rule: 'fast',
        severity: 'page',
        route: 'web',
        sli: 'availability',
        tier: 'page',
        windows: { windowMs: 10_000 },
        errorRatio: 0.903,
        requests: 433,
        failed: 391,
        minRatio: 0.9,
      },
    },
    i0 + 25_000,
  );
  append(
    {
      kind: 'incident.opened',
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: {
        incident: 1,
        status: 'open',
        title: 'web failing on inhouse',
        routes: ['web'],
        pools: ['inhouse'],
        startedAt: i0,
        detectedAt: i0 + 25_000,
        openedBy: { kind: 'alert.firing', eventId: 5, alert: 'web:availability:fast' },
      },
    },
    i0 + 25_000,
  );
  const rollback = append(
    {
      kind: 'migration.rolled_back',
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: {
        ...m1,
        seq: 3,
        phase: 'rolled_back',
        stepIndex: 0,
        targetPercent: 0,
        reason: 'judge: error_ratio',
        hard: true,
        firstFailureAt: i0,
        startedAt: i0 + 1790,
        completedAt: i0 + 1800,
      },
    },
    i0 + 1800,
  );
  append(
    {
      kind: 'split.changed',
      source: 'balancer',
      subject: 'web',
      actor: 'rollout',
      data: { from: { vendor: 0, inhouse: 100 }, to: { vendor: 100, inhouse: 0 }, reason: 'migration m-0001: rolled back', deadMan: null },
    },
    i0 + 1800,
  );
  append(
    {
      kind: 'incident.mitigated',
      source: 'journal',
      subject: 'incident/1',
      actor: 'rollout',
      data: { incident: 1, status: 'open', by: 'migration.rolled_back', cause: rollback.id, mitigatedAt: i0 + 1800 },
    },
    i0 + 1800,
  );
  append(
    {
      kind: 'incident.acknowledged',
      source: 'operator',
      subject: 'incident/1',
      actor: 'richard',
      data: { incident: 1, status: 'acknowledged', actor: 'richard' },
    },
    i0 + 90_000,
  );
  append(
    {
      kind: 'incident.resolved',
      source: 'journal',
      subject: 'incident/1',
      actor: 'piper',
      data: { incident: 1, status: 'resolved', clearForMs: 300_000, durationMs: 400_000 },
    },
    i0 + 400_000,
  );
  const incident: Incident = {
    id: 1,
    status: 'resolved',
    title: 'web failing on inhouse',
    routes: ['web'],
    pools: ['inhouse'],
    openedBy: { kind: 'alert.firing', eventId: 5, alert: 'web:availability:fast' },
    alerts: ['web:availability:fast'],
    activeAlerts: [],
    startedAt: i0,
    detectedAt: i0 + 25_000,
    acknowledgedAt: i0 + 90_000,
    acknowledgedBy: 'richard',
    mitigatedAt: i0 + 1800,
    mitigatedBy: 'migration.rolled_back',
    resolvedAt: i0 + 400_000,
  };
  const impact = {
    from: i0,
    to: i0 + 1800,
    requests: 433,
    failed: 391,
    shed: 12,
    slow: 20,
    savedByRetry: 4,
    badShare: 0.93,
    secondsBelowSlo: 2,
    peakRps: 241,
    routes: [],
    pools: [{ pool: 'inhouse', requests: 433, failed: 391, shed: 12, slow: 20 }],
    budgetSpent: 0.0155,
  };
  const numbers: IncidentNumbers = {
    from: i0,
    to: i0 + 1800,
    measured: true,
    requests: 433,
    failed: 403,
    shed: 12,
    savedByRetry: 4,
    failedShare: 403 / 433,
    users: { total: 61, affected: 58, share: 58 / 61, method: 'by sticky cookie', lowerBound: false },
    detectMs: 25_000,
    mitigateMs: 1800,
    resolveMs: 400_000,
  };
  /** The postmortem the journal builds from this record (the structured document and its Markdown). */
  function postmortem(): PostmortemDocument {
    const report: IncidentReport = {
      incident,
      numbers,
      figures: figureRows(numbers),
      durations: { detectMs: 25_000, acknowledgeMs: 65_000, mitigateMs: 1800, resolveMs: 400_000 },
      impact,
      timeline: events.filter((e) => e.time >= i0 - 1_800_000 && e.time <= i0 + 400_000) as JournalEvent[],
      capacity: events.find((e) => e.kind === 'capacity.result' && e.subject === 'inhouse') as JournalEvent | undefined,
    };
    return buildPostmortem(report, { generatedAt: now() });
  }

  /** The journal's /api/v1/slo: per route objective, burn per rule and window pair, the fast rule. */
  function slo(): Json {
    // Three hours of history: the 6 h ticket rule is still warming up.
    const historyMs = 3 * 3_600_000;
    const rule = (name: string, severity: string, threshold: number, longMs: number, shortMs: number, long: number, short: number) => ({
      rule: name,
      severity,
      threshold,
      longMs,
      shortMs,
      long,
      short,
      firing: historyMs >= shortMs && long >= threshold && short >= threshold,
      warmingUp: historyMs < shortMs,
    });
    return {
      routes: [
        {
          route: 'capacity-inhouse',
          objective: { availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 },
          internal: true,
          lastSampleAt: now(),
          lastRequestAt: start,
          historyMs,
          sli: { availability: [rule('page-1h-5m', 'page', 14.4, 3_600_000, 300_000, 0, 0)], latency: [] },
          fast: { windowMs: 10_000, errorRatio: 0, requests: 0, firing: false },
        },
        {
          route: 'web',
          objective: { availability: 0.999, latencyThresholdMs: 200, latencyTarget: 0.99 },
          internal: false,
          lastSampleAt: now(),
          lastRequestAt: now(),
          historyMs,
          sli: {
            availability: [
              rule('page-1h-5m', 'page', 14.4, 3_600_000, 300_000, 0.4, 0.9),
              rule('ticket-3d-6h', 'ticket', 1, 259_200_000, 21_600_000, 1.3, 1.1),
            ],
            latency: [rule('page-1h-5m', 'page', 14.4, 3_600_000, 300_000, 0.2, 0.1)],
          },
          fast: { windowMs: 30_000, errorRatio: 0.0004, requests: 7200, firing: false },
        },
      ],
      firing: [],
    };
  }

  /** Two data planes under `piper control`: edge-a holds every split, edge-b stopped answering. */
  function fleet(): Json {
    const error = 'connect ECONNREFUSED 127.0.0.1:9911';
    return {
      ...state(),
      routes: routes.map((r) => ({ ...r, members: { 'edge-a': { split: r.split, deadMan: r.deadMan }, 'edge-b': null } })),
      members: [
        { name: 'edge-a', reachable: true, error: null, term: 3 },
        { name: 'edge-b', reachable: false, error, term: 2 },
      ],
      term: 3,
      leader: 'cp-1',
    };
  }

  function state(): Json {
    return {
      at: now(),
      routes,
      pools: Object.entries(POOLS).map(([pool, names]) => {
        const backends = names.map((name) => {
          const h = health[`${pool}/${name}`] ?? 'healthy';
          return {
            name,
            url: `http://127.0.0.1:${pool === 'vendor' ? 9001 : 9002}/${name}`,
            weight: 100,
            health: h,
            reason: h === 'draining' ? 'drained by dashboard' : null,
            ejectedUntil: null,
            ejections: 0,
            inFlight: h === 'healthy' ? 2 : 0,
          };
        });
        return {
          name: pool,
          backends,
          healthyBackends: backends.filter((b) => b.health === 'healthy').length,
          concurrencyLimit: 64,
          inFlight: 4,
          queued: 0,
        };
      }),
    };
  }

  function stats(requests: number, p99: number, failed: number, extra: Json = {}): Json {
    return {
      requests,
      failed,
      status: { '1xx': 0, '2xx': requests - failed, '3xx': 0, '4xx': 0, '5xx': failed },
      errors: {},
      shed: 0,
      retries: 0,
      ejections: 0,
      inFlight: Math.round(requests / 60),
      bytesIn: 0,
      bytesOut: requests * 100,
      latency: { count: requests, min: 1, mean: p99 / 3, p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.4, max: p99 * 1.8 },
      histogram: '',
      ...extra,
    };
  }

  /** One second of telemetry: rate split by the route's weights, a little wobble, inhouse slower. */
  function makeWindow(windowStart: number): Json {
    const split = routes[0]?.split ?? {};
    const total = Object.values(split).reduce((a, b) => a + b, 0) || 1;
    const wobble = 1 + 0.08 * Math.sin(windowStart / 7000);
    const pools: Record<string, Json> = {};
    const backends: Record<string, Json> = {};
    for (const [pool, names] of Object.entries(POOLS)) {
      const requests = Math.round((RATE * wobble * (split[pool] ?? 0)) / total);
      const p99 = pool === 'vendor' ? 38 + 6 * Math.sin(windowStart / 5000) : 95 + 20 * Math.sin(windowStart / 3000);
      const failed = pool === 'inhouse' ? Math.round(requests * 0.004) : 0;
      pools[pool] = stats(requests, p99, failed, { healthyBackends: names.length, totalBackends: names.length, concurrencyLimit: 64 });
      for (const name of names)
        backends[`${pool}/${name}`] = stats(Math.round(requests / names.length), p99, 0, {
          pool,
          health: health[`${pool}/${name}`] ?? 'healthy',
        });
    }
    return { start: windowStart, durationMs: 1000, routes: { web: stats(RATE, 60, 0) }, pools, backends };
  }

  const first = Math.floor(now() / 1000) * 1000;
  for (let t = first - 120_000; t < first; t += 1000) windows.push(makeWindow(t));
  const ticker = setInterval(() => {
    const w = makeWindow(Math.floor(now() / 1000) * 1000 - 1000);
    windows.push(w);
    if (windows.length > 300) windows.shift();
    for (const s of streams) if (s.kind === 'window') s.res.write(`event: window\ndata: ${JSON.stringify(w)}\n\n`);
  }, 1000);

  function setSplit(route: string, split: Split, reason: string, actor: string): void {
    const r = routes.find((x) => x.name === route);
    if (!r) throw Object.assign(new Error(`no route ${route}`), { status: 404 });
    const from = r.split;
    r.split = split;
    append({ kind: 'split.changed', source: 'balancer', subject: route, actor, data: { from, to: split, reason, deadMan: null } });
  }

  function gate(to: string, share: number, headroom: number): GateResult {
    const cap = to === 'inhouse' ? 310 : 1200;
    const basisRps = 300;
    const projectedRps = share * basisRps;
    const passed = projectedRps <= cap / headroom;
    const load = share === 1 ? `peak ${basisRps}/s` : `${share * 100}% of peak ${basisRps}/s`;
    const objective = { latencyMs: 200, percentile: 99, maxErrorRatio: 0.001 };
    return {
      passed,
      reason: passed ? 'ok' : 'over_capacity',
      refusals: passed
        ? []
        : [
            {
              check: 'capacity',
              message: `over capacity: certified ${cap}/s < ${headroom} × ${load} = ${projectedRps * headroom}/s`,
              certificate: 2,
              capacityRps: cap,
              headroom,
              share,
              basis: 'peak',
              basisRps,
              projectedRps,
              requiredRps: projectedRps * headroom,
            },
          ],
      pool: to,
      share,
      projectedRps,
      basisRps,
      basis: 'peak' as const,
      currentRps: RATE,
      peakRps: basisRps,
      expectedPeakRps: null,
      capacityRps: cap,
      certifiedAt: t0,
      capacityEventId: 2,
      headroom,
      allowedRps: cap / headroom,
      requires: { objective, fingerprint: null, maxAgeMs: 86_400_000 },
      certificate: { eventId: 2, counts: true, objective, fingerprint: null },
      skipped: [],
      mix: { certified: null, observed: null },
    };
  }

  function startMigration(body: Json): { status: number; body: Json } {
    const route = String(body.route ?? '');
    const to = String(body.to ?? '');
    const from = String(body.from ?? 'vendor');
    const steps = Array.isArray(body.steps) ? (body.steps as number[]) : [1, 5, 10, 25, 50, 100];
    const headroom = typeof body.headroom === 'number' ? body.headroom : 2;
    const g = gate(to, 1, headroom);
    const override = typeof body.overrideCapacityGate === 'string' ? body.overrideCapacityGate : null;
    const facts = {
      route,
      from,
      to,
      capacityRps: g.capacityRps,
      requiredRps: g.projectedRps * headroom,
      projectedRps: g.projectedRps,
      headroom,
    };
    const refusals = g.refusals.map((r) => r.message);
    const plan = { route, from, to, steps, stepDurationMs: 60_000, headroom, expectedPeakRps: null };
    if (!g.passed && !override) {
      append({
        kind: 'migration.gate_refused',
        source: 'rollout',
        subject: route,
        actor: String(body.actor ?? 'operator'),
        data: { migration: null, ...facts, refusals, plan, gate: g },
      });
      return {
        status: 409,
        body: {
          error: { code: 'PIPER_ROLLOUT_GATE_REFUSED', message: `pool ${to} is certified for 310/s; 300/s × 2 headroom needs 600/s` },
          gate: g,
        },
      };
    }
    const id = `m-${String(migrations.length + 2).padStart(4, '0')}`;
    const t = now();
    const m: Json = {
      id,
      plan,
      phase: 'running',
      stepIndex: 0,
      targetPercent: steps[0],
      stepStartedAt: t,
      createdAt: t,
      updatedAt: t,
      actor: String(body.actor ?? 'operator'),
      override: override ? { reason: override, actor: String(body.actor ?? 'operator'), at: t } : null,
      paused: null,
      hold: null,
      rollback: null,
      seq: 2,
      endedAt: null,
      gate: gate(to, (steps[0] ?? 1) / 100, headroom),
      gates: [
        { time: t, occasion: override ? 'override' : 'start', eventId: 0, gate: g },
        { time: t, occasion: 'step', eventId: 0, gate: gate(to, (steps[0] ?? 1) / 100, headroom) },
      ],
      decisions: [] as Json[],
      judge: {
        verdict: 'pass',
        hard: false,
        reasons: [],
        windowStart: t - 1000,
        target: { requests: 3, failed: 0, errorRatio: 0, connectionFailures: 0, slow: 0, p99Ms: 96 },
        source: { requests: 237, failed: 0, errorRatio: 0, connectionFailures: 0, slow: 0, p99Ms: 39 },
        errors: {
          targetSamples: 3,
          targetFailures: 0,
          sourceSamples: 237,
          sourceFailures: 0,
          difference: 0,
          lambda: 1,
          pValue: 1,
          alpha: 0.0033,
          rejected: false,
        },
        latency: {
          targetSamples: 3,
          targetFailures: 1,
          sourceSamples: 237,
          sourceFailures: 2,
          difference: 0.325,
          lambda: 1,
          pValue: 0.41,
          alpha: 0.0033,
          rejected: false,
        },
        relativeLatency: [90, 99].map((percentile) => ({
          targetPool: to,
          sourcePool: from,
          percentile,
          sourceMs: percentile === 90 ? 21 : 39,
          sourceSamples: 237,
          targetSamples: 3,
          targetSlower: 1,
          share: 0.333,
          bound: percentile === 90 ? 0.15 : 0.015,
          lambda: 1.8,
          pValue: 0.55,
          alpha: 0.00165,
          rejected: false,
        })),
        consecutiveP99Failures: 0,
        consecutiveNoData: 0,
        incomplete: null,
        thresholds: {
          maxErrorRatio: 0.2,
          hardMinFailures: 2,
          consecutiveFailures: 3,
          alpha: 0.0033,
          errorMargin: 0.01,
          latencyMargin: 0.02,
          relativeLatencyMargin: 0.05,
          latencyThresholdMs: 200,
        },
      },
    };
    // The first window's decision, journaled because it is the first (a verdict where there was none).
    m.decisions = [
      {
        time: t,
        windowStart: t - 1000,
        verdict: 'pass',
        action: 'none',
        stepIndex: 0,
        targetPercent: steps[0],
        judge: m.judge,
        fastPath: null,
        gate: null,
        recorded: 'verdict_changed',
        journaled: true,
      },
    ];
    migrations.unshift(m);
    const actor = String(m.actor);
    const first = steps[0] ?? 1;
    const transition = (seq: number, stepIndex: number, targetPercent: number) =>
      ({ migration: id, route, from, to, seq, phase: 'running', stepIndex, targetPercent }) as const;
    if (override)
      append({
        kind: 'migration.gate_overridden',
        source: 'rollout',
        subject: route,
        actor,
        data: { migration: id, reason: override, who: actor, ...facts, refusals, gate: g },
      });
    append({
      kind: 'migration.started',
      source: 'rollout',
      subject: route,
      actor,
      data: { ...transition(0, -1, 0), plan, gate: g, override: override ? { reason: override, actor, at: t } : null },
    });
    setSplit(route, { [from]: 10_000 - first * 100, [to]: first * 100 }, `migration ${id} step 1`, 'rollout');
    append({
      kind: 'migration.step',
      source: 'rollout',
      subject: route,
      actor: 'rollout',
      data: {
        ...transition(1, 0, first),
        why: 'advance',
        fromPercent: 0,
        toPercent: first,
        gate: gate(to, first / 100, headroom),
        overridden: !g.passed,
      },
    });
    return { status: 201, body: m };
  }

  function act(m: Json, verb: string, body: Json): Json {
    const plan = m.plan as { route: string; from: string; to: string; steps: number[]; headroom: number };
    const actor = String(body.actor ?? 'operator');
    const reason = String(body.reason ?? verb);
    const t = now();
    m.seq = Number(m.seq) + 1;
    const facts = () => ({
      migration: String(m.id),
      route: plan.route,
      from: plan.from,
      to: plan.to,
      seq: Number(m.seq),
      phase: m.phase as 'running' | 'paused' | 'aborted',
      stepIndex: Number(m.stepIndex),
      targetPercent: Number(m.targetPercent),
    });
    if (verb === 'abort') {
      m.phase = 'aborted';
      m.rollback = { reason, hard: false, firstFailureAt: null, startedAt: t, actor, stages: [0], stageStartedAt: t, endPhase: 'aborted' };
      m.targetPercent = 0;
      m.endedAt = t;
      setSplit(plan.route, { [plan.from]: 100 }, `migration ${String(m.id)} aborted: ${reason}`, 'rollout');
      append({
        kind: 'migration.aborted',
        source: 'rollout',
        subject: plan.route,
        actor,
        data: { ...facts(), reason: `aborted by ${actor}: ${reason}`, hard: false, firstFailureAt: null, startedAt: t, completedAt: t },
      });
    } else if (verb === 'pause') {
      m.phase = 'paused';
      m.paused = { reason, actor, at: t };
      append({ kind: 'migration.paused', source: 'rollout', subject: plan.route, actor, data: { ...facts(), reason } });
    } else if (verb === 'resume') {
      m.phase = 'running';
      m.paused = null;
      append({ kind: 'migration.resumed', source: 'rollout', subject: plan.route, actor, data: { ...facts(), reason } });
    } else if (verb === 'promote') {
      const next = body.all === true ? plan.steps.length - 1 : Math.min(plan.steps.length - 1, Number(m.stepIndex) + 1);
      const before = Number(m.targetPercent);
      m.stepIndex = next;
      m.targetPercent = plan.steps[next];
      const pct = plan.steps[next] ?? 100;
      setSplit(
        plan.route,
        { [plan.from]: 10_000 - pct * 100, [plan.to]: pct * 100 },
        `migration ${String(m.id)} step ${next + 1}`,
        'rollout',
      );
      append({
        kind: 'migration.step',
        source: 'rollout',
        subject: plan.route,
        actor,
        data: {
          ...facts(),
          why: body.all === true ? 'promote_all' : 'promote',
          fromPercent: before,
          toPercent: pct,
          gate: gate(plan.to, pct / 100, plan.headroom),
        },
      });
    }
    m.updatedAt = t;
    return m;
  }

  async function readBody(req: IncomingMessage): Promise<Json> {
    let text = '';
    for await (const chunk of req as AsyncIterable<Buffer>) text += chunk.toString('utf8');
    return text ? (JSON.parse(text) as Json) : {};
  }

  function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): true {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }

  function stream(req: IncomingMessage, res: ServerResponse, kind: 'window' | 'journal'): true {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 2000\n\n');
    const entry = { kind, res };
    streams.add(entry);
    req.on('close', () => streams.delete(entry));
    return true;
  }

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    const q = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    if (method === 'GET') {
      if (p === '/api/v1/state') return send(res, 200, state());
      if (p === '/api/v1/fleet') return send(res, 200, fleet());
      if (p === '/api/v1/control')
        return send(res, 200, {
          name: 'cp-1',
          role: 'leader',
          term: 3,
          leader: { holder: 'cp-1', term: 3, url: null },
          leaseMs: 2000,
          fleet: true,
        });
      if (p === '/api/v1/windows') return send(res, 200, { windows: windows.filter((w) => (w.start as number) > q('since', 0)) });
      if (p === '/api/v1/windows/stream') return stream(req, res, 'window');
      if (p === '/api/v1/events/stream') return stream(req, res, 'journal');
      if (p === '/api/v1/events') {
        const list = events.filter((e) => e.id > q('afterId', 0) && e.time >= q('since', 0)).slice(0, q('limit', 1000));
        return send(res, 200, { events: list, lastId: list.at(-1)?.id ?? null });
      }
      if (p === '/api/v1/capacity') return send(res, 200, { results: events.filter((e) => e.kind === 'capacity.result').reverse() });
      if (p === '/api/v1/slo') return send(res, 200, slo());
      if (p === '/api/v1/migrations') return send(res, 200, { migrations });
      if (p === '/api/v1/incidents')
        return send(res, 200, {
          incidents: [{ ...incident, numbers, figures: figureRows(numbers) }],
          means: { count: 1, mttdMs: 25_000, mttaMs: 65_000, mttmMs: 1800, mttrMs: 400_000 },
        });
      if (p === '/api/v1/incidents/1') {
        const timeline = events.filter((e) => e.time >= i0 - 1_800_000 && e.time <= i0 + 400_000);
        return send(res, 200, {
          incident,
          numbers,
          figures: figureRows(numbers),
          durations: { detectMs: 25_000, acknowledgeMs: 65_000, mitigateMs: 1800, resolveMs: 400_000 },
          impact,
          timeline,
        });
      }
      if (p === '/api/v1/incidents/1/postmortem') {
        const doc = postmortem();
        return url.searchParams.get('format') === 'json'
          ? send(res, 200, doc)
          : send(res, 200, renderMarkdown(doc), 'text/markdown; charset=utf-8');
      }
    }
    const splitPath = /^\/api\/v1\/routes\/([^/]+)\/split$/.exec(p);
    if (splitPath && method === 'PUT') {
      const body = await readBody(req);
      setSplit(decodeURIComponent(splitPath[1] ?? ''), body.split as Split, String(body.reason ?? ''), String(body.actor ?? 'operator'));
      return send(res, 200, { route: splitPath[1], split: body.split });
    }
    const drainPath = /^\/api\/v1\/pools\/([^/]+)\/backends\/([^/]+)\/(drain|undrain)$/.exec(p);
    if (drainPath && method === 'POST') {
      const key = `${drainPath[1]}/${drainPath[2]}`;
      health[key] = drainPath[3] === 'drain' ? 'draining' : 'healthy';
      append({
        kind: drainPath[3] === 'drain' ? 'backend.drained' : 'backend.undrained',
        source: 'balancer',
        subject: key,
        actor: String((await readBody(req)).actor ?? 'operator'),
        data: { pool: drainPath[1] ?? '', backend: drainPath[2] ?? '' },
      });
      return send(res, 200, { ok: true });
    }
    if (p === '/api/v1/migrations' && method === 'POST') {
      const r = startMigration(await readBody(req));
      return send(res, r.status, r.body);
    }
    const m = /^\/api\/v1\/migrations\/([^/]+)(?:\/(pause|resume|abort|promote))?$/.exec(p);
    if (m) {
      const mig = migrations.find((x) => x.id === decodeURIComponent(m[1] ?? ''));
      if (!mig) return send(res, 404, { error: { code: 'PIPER_ROLLOUT_NOT_FOUND', message: 'no such migration' } });
      if (method === 'GET' && !m[2]) {
        return send(res, 200, { ...mig, events: events.filter((e) => e.kind.startsWith('migration.') && e.data.migration === mig.id) });
      }
      if (method === 'POST' && m[2]) return send(res, 200, act(mig, m[2], await readBody(req)));
    }
    if (p === '/api/v1/incidents/1/ack' && method === 'POST') return send(res, 200, incident);
    return false;
  };

  return {
    api,
    split: (route) => ({ ...(routes.find((r) => r.name === route)?.split ?? {}) }),
    close: () => {
      clearInterval(ticker);
      for (const s of streams) s.res.end();
      streams.clear();
    },
  };
}
