import type { DataPlane, InProgressCounts, InProgressWindow, RouteState, Split } from '../data-plane/index.ts';
import type { MigrationConfig, RouteConfig } from '../config/index.ts';
import { type Clock, type Logger, PiperError, silentLogger, type TimerHandle } from '../core/index.ts';
import { DEFAULT_OBJECTIVE, type EventInputOf, eventOf, type Journal, objectiveOf } from '../journal/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import { type CapacityCertificate, capacityCertificates } from './capacity-certificate.ts';
import { evaluateGate, type GateResult, lastSafeStep, refusalText, sourceCanAbsorb } from './capacity-gate.ts';
import { type CertificateRequirements, chooseCertificate, routeLimits } from './certificate-choice.ts';
import { type DecisionAction, DecisionLog, type DecisionView } from './decision-log.ts';
import { type JudgeDecision, type JudgeSettings, type SlowCounter, StepJudge } from './judge.ts';
import { type MigrationEvidence, readEvidence } from './migration-evidence.ts';
import { planMigration, type StartMigrationRequest } from './migration-plan.ts';
import { ACTIVE_PHASES, type Hold, type MigrationPlan, type MigrationState, sameShares, splitFor, stateKey } from './migration-state.ts';
import { poolMembership } from './pool-membership.ts';
import { gateRefused, invalidTransition, isExpected, notFound } from './rollout-errors.ts';
import { RouteRateHistory } from './route-rate-history.ts';
import { histogramSlowCounter } from './slow-requests.ts';

/** The part of the journal the controller uses. */
export type RolloutJournal = Pick<Journal, 'append' | 'appendWithState' | 'getState' | 'query' | 'samples'>;

/**
 * A migration as the API lists it: the durable state plus the latest gate evaluation and judged
 * window this controller made (null for a migration it does not run: the detail reads them from
 * the journal).
 */
export interface MigrationView extends MigrationState {
  split: Split;
  gate: GateResult | null;
  judge: JudgeDecision | null;
  stepEndsAt: number | null;
}

/**
 * One migration with its evidence (GET /api/v1/migrations/:id): what the journal holds, so the
 * same after it ended, after a restart and on another process reading the journal; while this
 * controller runs it, `gate` and `judge` are its latest and `decisions` adds those not journaled.
 */
export interface MigrationDetail extends MigrationView, MigrationEvidence {}

export interface MigrationControllerOptions {
  dataPlane: DataPlane;
  journal: RolloutJournal;
  clock: Clock;
  /** `migration` of piper.yaml (parsed). */
  migration: MigrationConfig;
  /** Routes of piper.yaml, for each route's SLO (the SLO monitor's default when a route is not listed). */
  routes?: readonly RouteConfig[];
  logger?: Logger;
  slowCounter?: SlowCounter;
}

interface Runtime {
  state: MigrationState;
  judge: StepJudge;
  gate: GateResult | null;
  decisions: DecisionLog;
  /** First failing target response (or, without that figure, its window's start) in the current run of failing windows. */
  failureSince: number | null;
  /** A fast-path rollback is queued: later polls must not queue another. */
  fastPending: boolean;
  lastAppliedAt: number;
  needsApply: boolean;
  /** End of the last window this step that lacked data (incomplete, or after a gap): the step's time counts from there. */
  incompleteUntil: number;
}

const TICK_MS = 1000;
/** How often the open window is checked for a hard failure (the fast path), when the data plane offers it. */
const FAST_CHECK_MS = 250;
/** No window for this long means at least one whole window never came: hold (windows close every second). */
const STALE_TELEMETRY_MS = 2000;
const DATA_GRACE_MS = 2000;
const SAFETY_KINDS = new Set(['migration.rolling_back', 'migration.rollback_stage', 'migration.rolled_back', 'migration.aborted']);
/** Ended migrations whose last state is kept in memory. */
const ENDED_KEPT = 30;
const DEFAULT_LATENCY_THRESHOLD_MS = 500;
const ACTOR = 'rollout';

/** The transitions of a migration's state machine, each journaled with the state row. */
type TransitionKind =
  | 'migration.started'
  | 'migration.step'
  | 'migration.held'
  | 'migration.paused'
  | 'migration.resumed'
  | 'migration.rolling_back'
  | 'migration.rollback_stage'
  | 'migration.rolled_back'
  | 'migration.aborted'
  | 'migration.completed';
/** What a transition records besides the state after it (docs/journal.md, "Event catalogue"). */
type TransitionData<K extends TransitionKind> = Omit<
  EventInputOf<K>['data'],
  'migration' | 'route' | 'from' | 'to' | 'seq' | 'phase' | 'stepIndex' | 'targetPercent'
>;
/** Why a migration moved to another step. */
type StepWhy = EventInputOf<'migration.step'>['data']['why'];

/**
 * The migration controller: moves a route from one pool to another in steps, gated by measured
 * capacity, judged every window, rolled back on its own. Its state machine lives in the journal:
 * each transition is one `appendWithState` (event and state row atomically) written BEFORE the
 * data plane is told, so after kill -9 the restarted controller re-applies the recorded split
 * (idempotent) instead of repeating or losing a transition.
 */
export class MigrationController {
  readonly #dp: DataPlane;
  readonly #journal: RolloutJournal;
  readonly #clock: Clock;
  readonly #cfg: MigrationConfig;
  readonly #routes: readonly RouteConfig[];
  readonly #log: Logger;
  readonly #slow: SlowCounter;
  readonly #rates: RouteRateHistory;
  readonly #active = new Map<string, Runtime>();
  /** Recently ended migrations, so the API shows their end even if the journal could not record it. */
  readonly #ended = new Map<string, MigrationState>();
  readonly #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  #tick: TimerHandle | undefined;
  #fastCheck: TimerHandle | null = null;
  #lastWindowAt: number;
  /** Where the last window received ended: a later window starting after it means windows went missing between. */
  #lastWindowEnd: number | null = null;
  #closed = false;

  constructor(options: MigrationControllerOptions) {
    this.#dp = options.dataPlane;
    this.#journal = options.journal;
    this.#clock = options.clock;
    this.#cfg = options.migration;
    this.#routes = options.routes ?? [];
    this.#log = (options.logger ?? silentLogger()).child({ part: 'rollout' });
    this.#slow = options.slowCounter ?? histogramSlowCounter;
    this.#rates = new RouteRateHistory(this.#journal, this.#cfg.peakWindow, this.#log);
    this.#lastWindowAt = this.#clock.now();
  }

  /** Recovers active migrations from the journal, then starts judging windows and ticking. */
  async start(): Promise<void> {
    // A remote data plane's cached state may predate a pause of this process: recover on a fresh one.
    await this.#dp.refresh?.().catch((err: unknown) => this.#log.warn({ err }, 'refreshing the data plane before recovery failed'));
    await this.#serial(() => this.#recover());
    this.#tick = this.#clock.setInterval(() => this.#onTick(), TICK_MS);
    void this.#consume();
  }

  /** Starts a migration (gate first); throws PIPER_ROLLOUT_GATE_REFUSED with the figures when refused. */
  startMigration(req: StartMigrationRequest): Promise<MigrationDetail> {
    return this.#serial(() => this.#start(req));
  }

  /** Every migration recorded in the journal, newest first. */
  list(): MigrationView[] {
    const started = this.#journal.query({ kinds: ['migration.started'], limit: 10_000 });
    const views: MigrationView[] = [];
    for (const e of started.reverse()) {
      const id = String(e.data.migration);
      const view = this.#viewOf(id);
      if (view !== null) views.push(view);
    }
    return views;
  }

  /** One migration with its evidence from the journal, or PIPER_ROLLOUT_NOT_FOUND. */
  get(id: string): MigrationDetail {
    const view = this.#viewOf(id);
    if (view === null) throw notFound(id);
    const evidence = readEvidence(this.#journal, view);
    const live = this.#active.get(id)?.decisions.unjournaled() ?? [];
    const decisions = live.length === 0 ? evidence.decisions : [...evidence.decisions, ...live].sort((a, b) => a.time - b.time);
    return {
      ...view,
      ...evidence,
      decisions,
      gate: view.gate ?? evidence.gates.at(-1)?.gate ?? null,
      judge: view.judge ?? lastJudged(decisions),
    };
  }

  pause(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#serial(async () => {
      const rt = this.#runtime(id, ['running']);
      this.#commit(
        rt,
        { ...rt.state, phase: 'paused', paused: { reason, actor, at: this.#clock.now() } },
        'migration.paused',
        { reason },
        actor,
      );
      return this.get(id);
    });
  }

  resume(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#serial(async () => {
      const rt = this.#runtime(id, ['paused']);
      // A resumed step gathers its evidence afresh: the pause may have been for a reason.
      this.#commit(
        rt,
        { ...rt.state, phase: 'running', paused: null, stepStartedAt: this.#clock.now() },
        'migration.resumed',
        { reason },
        actor,
      );
      rt.judge = this.#newJudge(rt.state);
      return this.get(id);
    });
  }

  /** Moves to the next step now, or (`all`) straight to 100 % and completion; the gate still applies unless overridden. */
  promote(id: string, all: boolean, actor: string): Promise<MigrationDetail> {
    return this.#serial(async () => {
      const rt = this.#runtime(id, ['running', 'paused']);
      const s = rt.state;
      const last = s.plan.steps.length - 1;
      const next = all ? last : Math.min(s.stepIndex + 1, last);
      if (s.stepIndex === last) {
        await this.#complete(rt, actor);
        return this.get(id);
      }
      const gate = this.#gate(s.plan, (s.plan.steps[next] as number) / 100);
      if (!gate.passed && s.override === null) {
        this.#journalGateRefused(s.plan, gate, actor, id);
        throw gateRefused(s.plan, gate);
      }
      await this.#step(rt, next, all ? 'promote_all' : 'promote', { gate }, actor);
      if (all) await this.#complete(rt, actor);
      return this.get(id);
    });
  }

  /** Rolls back now (staged when the source cannot absorb the route at once). */
  abort(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#serial(async () => {
      const rt = this.#runtime(id, ['running', 'paused']);
      await this.#rollback(rt, { reason: `aborted by ${actor}: ${reason}`, hard: false, firstFailureAt: null, actor, endPhase: 'aborted' });
      return this.get(id);
    });
  }

  /** Stops ticking and judging; the data plane keeps the last split (and its dead-man guard). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tick?.cancel();
    this.#fastCheck?.cancel();
    this.#fastCheck = null;
    this.#abort.abort(new Error('controller closed'));
    await this.#queue;
  }

  // ── transitions ─────────────────────────────────────────────────────────

  async #start(req: StartMigrationRequest): Promise<MigrationDetail> {
    for (const rt of this.#active.values()) {
      if (rt.state.plan.route === req.route) {
        throw new PiperError(
          'PIPER_ROLLOUT_ALREADY_ACTIVE',
          `route "${req.route}" already has migration ${rt.state.id} (${rt.state.phase})`,
          {
            source: 'operator',
            details: { status: 409, migration: rt.state.id },
          },
        );
      }
    }
    const plan = planMigration(req, this.#dp.snapshot(), this.#cfg);
    const actor = req.actor ?? 'operator';
    // The whole plan must fit: the last step puts all of the route's peak on the target.
    const gate = this.#gate(plan, 1);
    const id = this.#nextId();
    const now = this.#clock.now();
    let override: MigrationState['override'] = null;
    if (!gate.passed) {
      if (req.overrideCapacityGate === undefined || req.overrideCapacityGate.trim() === '') {
        this.#journalGateRefused(plan, gate, actor, null);
        throw gateRefused(plan, gate);
      }
      override = { reason: req.overrideCapacityGate, actor, at: now };
      this.#journal.append({
        kind: 'migration.gate_overridden',
        source: 'rollout',
        subject: plan.route,
        actor,
        data: { migration: id, reason: req.overrideCapacityGate, who: actor, ...gateFacts(plan, gate), gate },
      });
    }
    const headroomOverride =
      plan.headroom < this.#cfg.headroom
        ? { reason: (req.overrideHeadroom ?? '').trim(), actor, at: now, configured: this.#cfg.headroom, headroom: plan.headroom }
        : null;
    const state: MigrationState = {
      id,
      plan,
      phase: 'running',
      stepIndex: -1,
      targetPercent: 0,
      stepStartedAt: now,
      createdAt: now,
      updatedAt: now,
      actor,
      override,
      headroomOverride,
      paused: null,
      hold: null,
      rollback: null,
      seq: 0,
      endedAt: null,
    };
    const rt: Runtime = {
      state,
      judge: this.#newJudge(state),
      gate,
      decisions: new DecisionLog(this.#journal, { id, route: plan.route }, this.#log),
      failureSince: null,
      fastPending: false,
      lastAppliedAt: now,
      needsApply: false,
      incompleteUntil: 0,
    };
    this.#active.set(id, rt);
    this.#armFastCheck();
    this.#commit(rt, state, 'migration.started', { plan, gate, override, headroomOverride }, actor);
    await this.#advance(rt, actor);
    return this.get(id);
  }

  /** Tries the next step: gate first; refuses (and holds) when it does not pass. */
  async #advance(rt: Runtime, actor: string): Promise<void> {
    const s = rt.state;
    const next = s.stepIndex + 1;
    const gate = this.#gate(s.plan, (s.plan.steps[next] as number) / 100);
    rt.gate = gate;
    if (!gate.passed && s.override === null) {
      if (s.hold?.reason !== 'gate') {
        this.#journalGateRefused(s.plan, gate, ACTOR, s.id);
        this.#hold(rt, { reason: 'gate', since: this.#clock.now(), detail: `step ${next + 1}: ${refusalText(gate)}` });
      }
      return;
    }
    await this.#step(rt, next, 'advance', { gate, overridden: !gate.passed }, actor);
  }

  async #step(rt: Runtime, index: number, why: StepWhy, data: { gate: GateResult; overridden?: boolean }, actor: string): Promise<void> {
    const s = rt.state;
    const targetPercent = index < 0 ? 0 : (s.plan.steps[index] as number);
    rt.decisions.stepEnded(s.stepIndex);
    const next: MigrationState = { ...s, stepIndex: index, targetPercent, stepStartedAt: this.#clock.now(), hold: null };
    this.#commit(rt, next, 'migration.step', { why, fromPercent: s.targetPercent, toPercent: targetPercent, ...data }, actor);
    rt.judge = this.#newJudge(next);
    rt.failureSince = null;
    rt.incompleteUntil = 0;
    await this.#apply(rt, `migration ${s.id}: ${why} to ${targetPercent}% on ${s.plan.to}`);
  }

  async #complete(rt: Runtime, actor: string): Promise<void> {
    const s = rt.state;
    const now = this.#clock.now();
    rt.decisions.stepEnded(s.stepIndex);
    this.#commit(
      rt,
      { ...s, phase: 'completed', targetPercent: 100, hold: null, endedAt: now },
      'migration.completed',
      { durationMs: now - s.createdAt },
      actor,
    );
    await this.#apply(rt, `migration ${s.id}: completed, all traffic on ${s.plan.to}`);
    this.#retire(rt);
  }

  async #rollback(
    rt: Runtime,
    r: { reason: string; hard: boolean; firstFailureAt: number | null; actor: string; endPhase: 'rolled_back' | 'aborted' },
  ): Promise<void> {
    const s = rt.state;
    const now = this.#clock.now();
    const currentRps = this.#rates.traffic(s.plan.route, now).currentRps;
    const sourceCapacity = chooseCertificate(this.#certificates(s.plan.from), this.#requirements(s.plan.route, s.plan.from)).chosen;
    const absorbs = sourceCanAbsorb(currentRps, 1, sourceCapacity);
    // A broken target is worse than a strained source (the balancer sheds, it does not collapse),
    // so hard failures always go back at once; otherwise step back through the plan (Argo #3888).
    const stages = r.hard || absorbs ? [0] : [...s.plan.steps.filter((p) => p < s.targetPercent).reverse(), 0];
    const first = stages[0] as number;
    const rollback = { ...r, startedAt: now, stages: stages.slice(1), stageStartedAt: now };
    this.#commit(
      rt,
      { ...s, phase: 'rolling_back', targetPercent: first, hold: null, paused: null, rollback },
      'migration.rolling_back',
      { reason: r.reason, hard: r.hard, firstFailureAt: r.firstFailureAt, staged: stages.length > 1, stages, currentRps, sourceCapacity },
      r.actor,
    );
    await this.#apply(rt, `migration ${s.id}: rolling back (${r.reason})`);
    // Traffic is on its way back: now the minute that led here goes into the journal.
    rt.decisions.beforeRollback(now);
    if (stages.length === 1) await this.#finishRollback(rt);
  }

  async #finishRollback(rt: Runtime): Promise<void> {
    const s = rt.state;
    const rb = s.rollback;
    if (rb === null) return;
    const now = this.#clock.now();
    const kind = rb.endPhase === 'aborted' ? 'migration.aborted' : 'migration.rolled_back';
    this.#commit(
      rt,
      { ...s, phase: rb.endPhase, targetPercent: 0, endedAt: now },
      kind,
      { reason: rb.reason, hard: rb.hard, firstFailureAt: rb.firstFailureAt, startedAt: rb.startedAt, completedAt: now },
      rb.actor,
    );
    await this.#apply(rt, `migration ${s.id}: ${rb.endPhase === 'aborted' ? 'aborted' : 'rolled back'}`);
    this.#retire(rt);
  }

  #hold(rt: Runtime, hold: Hold): void {
    this.#commit(rt, { ...rt.state, hold }, 'migration.held', { reason: hold.reason, detail: hold.detail }, ACTOR);
  }

  /** Journals a transition atomically with the new state; the only writer of state rows. */
  #commit<K extends TransitionKind>(rt: Runtime, next: MigrationState, kind: K, data: TransitionData<K>, actor: string): void {
    const state: MigrationState = { ...next, seq: rt.state.seq + (kind === 'migration.started' ? 0 : 1), updatedAt: this.#clock.now() };
    try {
      this.#write(state, kind, data, actor);
    } catch (err) {
      // Moving traffic forward needs a record first; moving it back to safety never waits on one.
      if (!SAFETY_KINDS.has(kind)) throw err;
      this.#log.error({ err, migration: state.id, kind }, 'journal write failed; rolling back anyway');
    }
    rt.state = state;
  }

  #write<K extends TransitionKind>(state: MigrationState, kind: K, data: TransitionData<K>, actor: string): void {
    this.#journal.appendWithState(
      eventOf(kind, {
        source: 'rollout',
        subject: state.plan.route,
        actor,
        // The transition's own data is typed per kind; TypeScript cannot add the common facts to a generic K's data.
        data: {
          migration: state.id,
          route: state.plan.route,
          from: state.plan.from,
          to: state.plan.to,
          seq: state.seq,
          phase: state.phase,
          stepIndex: state.stepIndex,
          targetPercent: state.targetPercent,
          ...data,
        } as EventInputOf<K>['data'],
      }),
      stateKey(state.id),
      state,
    );
  }

  /** Tells the data plane the recorded split; the dead-man guard stays armed while the migration is active. */
  async #apply(rt: Runtime, reason: string): Promise<void> {
    const s = rt.state;
    const active = ACTIVE_PHASES.includes(s.phase);
    const deadMan = active ? { safeSplit: splitFor(s.plan, 0), timeoutMs: this.#cfg.deadMan } : null;
    try {
      await this.#dp.setSplit(s.plan.route, splitFor(s.plan, s.targetPercent), reason, { actor: ACTOR, deadMan });
      rt.needsApply = false;
      rt.lastAppliedAt = this.#clock.now();
    } catch (err) {
      // The next tick retries: the journal already holds the decision, the data plane must follow.
      rt.needsApply = true;
      this.#log.error({ err, migration: s.id, route: s.plan.route }, 'setting the split failed; retrying next tick');
    }
  }

  // ── the loop: windows and ticks ─────────────────────────────────────────

  async #consume(): Promise<void> {
    while (!this.#closed) {
      try {
        for await (const w of this.#dp.windows(this.#abort.signal)) this.#onWindow(w);
      } catch (err) {
        if (this.#closed) return;
        this.#log.warn({ err }, 'telemetry stream failed; reconnecting');
      }
      if (this.#closed) return;
      await this.#clock.sleep(TICK_MS, this.#abort.signal).catch(() => undefined);
    }
  }

  #onWindow(w: TelemetryWindow): void {
    if (this.#closed) return;
    this.#lastWindowAt = this.#clock.now();
    const end = this.#lastWindowEnd;
    // Seconds with no window at all (a stream reconnected, a data plane restarted) are missing data too.
    const gap = end !== null && w.start > end ? `no telemetry window for ${formatSeconds(w.start - end)} before this one` : null;
    this.#lastWindowEnd = Math.max(end ?? 0, w.start + w.durationMs);
    this.#rates.add(w);
    for (const rt of this.#active.values()) {
      void this.#serial(() => this.#judgeWindow(rt, w, gap));
    }
  }

  async #judgeWindow(rt: Runtime, w: TelemetryWindow, gap: string | null): Promise<void> {
    const s = rt.state;
    if (!ACTIVE_PHASES.includes(s.phase) || this.#active.get(s.id) !== rt) return;
    const { route, from, to } = s.plan;
    const routeRequests = w.routes[route]?.requests ?? 0;
    const expectTarget = s.targetPercent > 0 && routeRequests > 0 && w.start >= s.stepStartedAt;
    const lacking = [
      ...(w.complete === false ? [w.incompleteReason ?? 'the data plane could not count every request of this window'] : []),
      ...(gap === null ? [] : [gap]),
    ];
    const incomplete = lacking.length > 0 ? lacking.join('; ') : null;
    if (incomplete !== null) rt.incompleteUntil = Math.max(rt.incompleteUntil, w.start + w.durationMs);
    const d = rt.judge.observe(w.start, w.pools[to], w.pools[from], expectTarget, incomplete);
    // The window's own first-failure time is exact; its start (up to a window early) only stands in for old data planes.
    if (d.target.failed > 0) rt.failureSince ??= w.pools[to]?.firstFailureAt ?? w.start;
    else if (d.verdict === 'pass') rt.failureSince = null;

    let action: DecisionAction = 'none';
    let gate: GateResult | null = null;
    const holdReason = d.reasons.includes('incomplete_data') ? 'incomplete_telemetry' : 'no_target_data';
    if (d.verdict === 'rollback' && (s.phase !== 'rolling_back' || (d.hard && s.targetPercent > 0))) {
      action = 'rollback';
    } else if (d.verdict === 'hold' && s.phase === 'running' && s.hold?.reason !== holdReason) {
      action = 'hold';
    } else if ((s.phase === 'running' || s.phase === 'paused') && s.targetPercent > 0) {
      gate = this.#gate(s.plan, s.targetPercent / 100);
      rt.gate = gate;
      if (!gate.passed && s.override === null) action = 'backoff';
    }
    rt.decisions.add({
      time: this.#clock.now(),
      windowStart: w.start,
      verdict: d.verdict,
      action,
      stepIndex: s.stepIndex,
      targetPercent: s.targetPercent,
      judge: d,
      fastPath: null,
      gate,
    });

    if (action === 'rollback') {
      await this.#rollbackOnFailure(rt, `judge: ${d.reasons.join(', ')}`, d.hard, rt.failureSince ?? w.start);
    } else if (action === 'hold') {
      this.#hold(rt, {
        reason: holdReason,
        since: this.#clock.now(),
        detail:
          holdReason === 'incomplete_telemetry'
            ? `window ${new Date(w.start).toISOString()} lacks data (${incomplete}): the step waits for ${formatSeconds(s.plan.stepDurationMs)} of complete windows`
            : `no target requests in ${d.consecutiveNoData} windows with route traffic`,
      });
    } else if (action === 'backoff' && gate !== null) {
      const safe = lastSafeStep(s.plan.steps, s.stepIndex - 1, (share) => this.#gate(s.plan, share));
      await this.#step(rt, safe, 'backoff', { gate }, ACTOR);
      this.#hold(rt, {
        reason: 'gate',
        since: this.#clock.now(),
        detail: `backed off: ${refusalText(gate)}`,
      });
    }
  }

  /**
   * Rolls back on a failure the judge or the fast path saw. During a staged rollback only a hard
   * failure gets here, and then everything goes back at once.
   */
  async #rollbackOnFailure(rt: Runtime, reason: string, hard: boolean, firstFailureAt: number): Promise<void> {
    const s = rt.state;
    if (s.phase === 'rolling_back') {
      // Already stepping back gently, but the target now fails hard: everything goes back now.
      rt.state = { ...s, rollback: s.rollback === null ? null : { ...s.rollback, stages: [] } };
      this.#commit(rt, { ...rt.state, targetPercent: 0 }, 'migration.rollback_stage', { toPercent: 0, reason }, ACTOR);
      await this.#apply(rt, `migration ${s.id}: hard failure during staged rollback`);
      rt.decisions.beforeRollback(this.#clock.now());
      await this.#finishRollback(rt);
    } else {
      await this.#rollback(rt, { reason, hard, firstFailureAt, actor: ACTOR, endPhase: 'rolled_back' });
    }
  }

  // ── the fast path: hard failures in the open window ─────────────────────

  /** Starts the 250 ms check of the open window while any migration is active (when the data plane offers one). */
  #armFastCheck(): void {
    if (this.#closed || this.#fastCheck !== null || this.#dp.inProgress === undefined) return;
    this.#fastCheck = this.#clock.setInterval(() => this.#onFastCheck(), FAST_CHECK_MS);
  }

  #disarmFastCheck(): void {
    if (this.#active.size > 0) return;
    this.#fastCheck?.cancel();
    this.#fastCheck = null;
  }

  /**
   * A hard failure (the judge's hard guards, counted in the window still open) rolls back at once,
   * not when the window closes: from the first failing response to traffic off the target then
   * takes about the time to see `hardMinFailures` failures plus ≤ 250 ms, instead of up to a window more.
   */
  #onFastCheck(): void {
    if (this.#closed) return;
    let open: InProgressWindow | undefined;
    try {
      open = this.#dp.inProgress?.();
    } catch (err) {
      this.#log.warn({ err }, 'reading the open telemetry window failed');
      return;
    }
    if (open === undefined) return;
    for (const rt of this.#active.values()) {
      const s = rt.state;
      if (rt.fastPending || !this.#fastCheckApplies(s)) continue;
      const counts = open.pools[s.plan.to];
      if (counts === undefined) continue;
      const rules = this.#hardRules(counts);
      if (rules.length === 0) continue;
      rt.fastPending = true;
      const windowStart = open.start;
      void this.#serial(async () => {
        try {
          await this.#fastRollback(rt, counts, rules, windowStart);
        } finally {
          rt.fastPending = false;
        }
      });
    }
  }

  /** Running or paused with traffic on the target, or a staged rollback still sending some there. */
  #fastCheckApplies(s: MigrationState): boolean {
    return s.targetPercent > 0 && ACTIVE_PHASES.includes(s.phase);
  }

  /** The judge's hard guards on open-window counts; the failure count floor applies to both (one failure is not a trend). */
  #hardRules(c: InProgressCounts): string[] {
    const j = this.#cfg.judge;
    const rules: string[] = [];
    // Refused by the target's admission and answered by the source: a failure of the target, as the judge counts it.
    const spilled = c.spilled ?? 0;
    const failed = c.failed + spilled;
    const requests = c.requests + spilled;
    if (c.connectFailures >= j.hardMinFailures) rules.push('connection_failures');
    if (requests > 0 && failed >= j.hardMinFailures && failed / requests >= j.maxErrorRatio) rules.push('error_ratio');
    return rules;
  }

  async #fastRollback(rt: Runtime, c: InProgressCounts, rules: string[], windowStart: number): Promise<void> {
    const s = rt.state;
    // The queue may have run a closed-window rollback (or a step) first: act only if still due.
    if (this.#active.get(s.id) !== rt || !this.#fastCheckApplies(s)) return;
    const now = this.#clock.now();
    const spilled = c.spilled ?? 0;
    const failed = c.failed + spilled;
    const requests = c.requests + spilled;
    const pct = Math.round((failed / requests) * 1000) / 10;
    const refused = spilled === 0 ? '' : `, ${spilled} of them refused by its admission and answered by the source`;
    const reason =
      `fast path: ${rules.join(', ')} in the open window ` +
      `(${failed} of ${requests} target requests failed${refused}, ${pct}%; ${c.connectFailures} connection failures)`;
    this.#log.warn(
      { migration: s.id, route: s.plan.route, pool: s.plan.to, counts: c, rules, windowStart },
      'hard failure in the open window',
    );
    const j = this.#cfg.judge;
    // Recorded like a judged window, with its inputs; `judge` is null (no closed window was judged).
    rt.decisions.add({
      time: now,
      windowStart,
      verdict: 'rollback',
      action: 'rollback',
      stepIndex: s.stepIndex,
      targetPercent: s.targetPercent,
      judge: null,
      fastPath: {
        windowStart,
        checkedAt: now,
        pool: s.plan.to,
        counts: c,
        rules,
        thresholds: { maxErrorRatio: j.maxErrorRatio, hardMinFailures: j.hardMinFailures },
      },
      gate: null,
    });
    const firstFailureAt = rt.failureSince ?? c.firstFailureAt ?? windowStart;
    await this.#rollbackOnFailure(rt, reason, true, Math.min(firstFailureAt, now));
  }

  #onTick(): void {
    if (this.#closed) return;
    for (const rt of this.#active.values()) {
      // Heartbeats go out from the timer, not the queue, so a slow data-plane call cannot starve them.
      this.#dp.heartbeat(rt.state.plan.route);
      void this.#serial(() => this.#progress(rt));
    }
  }

  /** The dead-man guard put the route back on the source: hold there, never fight the revert. */
  #pauseAfterRevert(rt: Runtime, now: number, why: string): void {
    this.#commit(
      rt,
      {
        ...rt.state,
        phase: 'paused',
        stepIndex: -1,
        targetPercent: 0,
        paused: { reason: 'dead-man guard reverted the route', actor: ACTOR, at: now },
      },
      'migration.paused',
      { reason: why },
      ACTOR,
    );
  }

  async #progress(rt: Runtime): Promise<void> {
    const s = rt.state;
    if (this.#active.get(s.id) !== rt || !ACTIVE_PHASES.includes(s.phase)) return;
    const now = this.#clock.now();
    if (rt.needsApply) await this.#apply(rt, `migration ${s.id}: retrying the recorded split`);
    const lost = this.#lostSplit(rt);
    if (lost?.splitOrigin.kind === 'dead-man') {
      this.#pauseAfterRevert(rt, now, `${revertText(lost.splitOrigin.at)} (controller silent too long)`);
      return;
    }
    if (lost?.splitOrigin.kind === 'config') {
      this.#journalRecovered(rt.state, lost, 'data_plane', 'reapplied');
      await this.#apply(rt, `migration ${s.id}: the data plane restarted on its configured split, re-applying the recorded split`);
      return;
    }
    if (s.phase === 'rolling_back') {
      const rb = s.rollback;
      if (rb !== null && now - rb.stageStartedAt >= this.#cfg.rollbackStageDuration) {
        const [next, ...rest] = rb.stages;
        if (next === undefined) return this.#finishRollback(rt);
        this.#commit(
          rt,
          { ...s, targetPercent: next, rollback: { ...rb, stages: rest, stageStartedAt: now } },
          'migration.rollback_stage',
          { toPercent: next },
          ACTOR,
        );
        await this.#apply(rt, `migration ${s.id}: staged rollback to ${next}% on ${s.plan.to}`);
        if (rest.length === 0) await this.#finishRollback(rt);
      }
      return;
    }
    if (s.phase !== 'running') return;
    if (s.stepIndex === -1) return this.#advance(rt, ACTOR);
    if (now - this.#lastWindowAt > STALE_TELEMETRY_MS) {
      if (s.hold?.reason !== 'no_telemetry') {
        this.#hold(rt, {
          reason: 'no_telemetry',
          since: now,
          detail: `no telemetry window for ${Math.round((now - this.#lastWindowAt) / 1000)} s`,
        });
      }
      return;
    }
    // A step is judged on complete windows: one that lacked data restarts the step's time after it.
    if (now - Math.max(s.stepStartedAt, rt.incompleteUntil) < s.plan.stepDurationMs) return;
    // Nor does it pass while the window of the last whole second has not come (one may be in flight).
    if ((this.#lastWindowEnd ?? 0) < Math.floor(now / 1000) * 1000 - 1000) return;
    // The latest window saw the route busy and the target idle, or lacked data: never advance on missing data.
    if (rt.decisions.latest()?.verdict === 'hold') return;
    if (rt.judge.targetRequests < this.#cfg.judge.minRequests) {
      // The step's last windows arrive just after its time is up: wait for them before calling it a hold.
      if (s.hold?.reason !== 'no_target_data' && now - s.stepStartedAt >= s.plan.stepDurationMs + DATA_GRACE_MS) {
        this.#hold(rt, {
          reason: 'no_target_data',
          since: now,
          detail: `${rt.judge.targetRequests} target requests this step; ${this.#cfg.judge.minRequests} needed to advance`,
        });
      }
      return;
    }
    if (s.stepIndex === s.plan.steps.length - 1) return this.#complete(rt, ACTOR);
    await this.#advance(rt, ACTOR);
  }

  /**
   * The route as the data plane shows it when it lost the recorded split on its own: its dead-man
   * guard reverted it, or it restarted on its config's split. Null while it holds the recorded
   * split, before it saw our last change, or when someone set another split through its API
   * (journaled by the data plane).
   */
  #lostSplit(rt: Runtime): RouteState | null {
    const s = rt.state;
    if (rt.needsApply) return null;
    const snap = this.#dp.snapshot();
    if (snap.at <= rt.lastAppliedAt) return null;
    const route = snap.routes.find((r) => r.name === s.plan.route);
    if (route === undefined || route.splitOrigin.kind === 'api') return null;
    return sameShares(route.split, splitFor(s.plan, s.targetPercent)) ? null : route;
  }

  // ── recovery after a restart ────────────────────────────────────────────

  async #recover(): Promise<void> {
    const started = this.#journal.query({ kinds: ['migration.started'], limit: 10_000 });
    const snap = this.#dp.snapshot();
    for (const e of started) {
      const state = this.#journal.getState(stateKey(String(e.data.migration))) as MigrationState | undefined;
      if (state === undefined || !ACTIVE_PHASES.includes(state.phase)) continue;
      const rt: Runtime = {
        state,
        judge: this.#newJudge(state),
        gate: null,
        decisions: new DecisionLog(this.#journal, { id: state.id, route: state.plan.route }, this.#log),
        failureSince: null,
        fastPending: false,
        lastAppliedAt: 0,
        needsApply: false,
        incompleteUntil: 0,
      };
      this.#active.set(state.id, rt);
      this.#armFastCheck();
      const route = snap.routes.find((r) => r.name === state.plan.route);
      const finishes =
        state.phase === 'rolling_back' && state.rollback !== null && state.rollback.stages.length === 0 && state.targetPercent === 0;
      if (route !== undefined && this.#revertedWhileAway(route, state)) {
        this.#journalRecovered(state, route, 'controller', 'paused');
        this.#pauseAfterRevert(rt, this.#clock.now(), `${revertText(route.splitOrigin.at)} while the controller was away`);
        continue;
      }
      this.#journalRecovered(state, route ?? null, 'controller', finishes ? 'finished_rollback' : 'reapplied');
      // Same split or not, re-apply: it re-arms the dead-man guard, and setSplit is idempotent. A data
      // plane that restarted too (on its config's split) gets the recorded step back: it resumes.
      await this.#apply(rt, `migration ${state.id}: controller restarted, re-applying the recorded split`);
      if (finishes) await this.#finishRollback(rt);
    }
  }

  /**
   * The dead-man guard put the route back on the source while no controller ran. A data plane
   * that restarted shows the same split with no guard, but says it came from its config.
   */
  #revertedWhileAway(route: RouteState, state: MigrationState): boolean {
    return (
      state.phase !== 'rolling_back' &&
      state.targetPercent > 0 &&
      route.splitOrigin.kind === 'dead-man' &&
      !sameShares(route.split, splitFor(state.plan, state.targetPercent))
    );
  }

  /** Records what the controller found on the data plane against the journal's state, and what it does about it. */
  #journalRecovered(
    state: MigrationState,
    route: RouteState | null,
    restarted: 'controller' | 'data_plane',
    action: 'reapplied' | 'paused' | 'finished_rollback',
  ): void {
    this.#journal.append({
      kind: 'migration.recovered',
      source: 'rollout',
      subject: state.plan.route,
      actor: ACTOR,
      data: {
        migration: state.id,
        route: state.plan.route,
        from: state.plan.from,
        to: state.plan.to,
        seq: state.seq,
        phase: state.phase,
        targetPercent: state.targetPercent,
        observedSplit: route?.split ?? null,
        recordedSplit: splitFor(state.plan, state.targetPercent),
        splitOrigin: route === null ? null : { kind: route.splitOrigin.kind, at: route.splitOrigin.at },
        restarted,
        action,
      },
    });
    this.#log.info(
      { migration: state.id, phase: state.phase, targetPercent: state.targetPercent, splitOrigin: route?.splitOrigin, restarted, action },
      'migration recovered',
    );
  }

  // ── helpers of the state machine ───────────────────────────────────────

  #gate(plan: MigrationPlan, share: number): GateResult {
    const traffic = this.#rates.traffic(plan.route, this.#clock.now());
    return evaluateGate({
      pool: plan.to,
      share,
      currentRps: traffic.currentRps,
      peakRps: traffic.peakRps,
      expectedPeakRps: plan.expectedPeakRps,
      observed: traffic.observed,
      certificates: this.#certificates(plan.to),
      requirements: this.#requirements(plan.route, plan.to),
      headroom: plan.headroom,
    });
  }

  /** The pool's capacity results, newest first; expired ones too, so a refusal can say they expired. */
  #certificates(pool: string): CapacityCertificate[] {
    return capacityCertificates(this.#journal.query({ kinds: ['capacity.result'], limit: 10_000 }), pool);
  }

  /** What a certificate of `pool` must meet for `route` now: its SLO (as the SLO monitor reads it), the pool's membership, the age limit. */
  #requirements(route: string, pool: string): CertificateRequirements {
    const slo = this.#routes.find((r) => r.name === route)?.slo;
    return {
      objective: routeLimits(slo === undefined ? DEFAULT_OBJECTIVE : objectiveOf(slo)),
      membership: poolMembership(this.#dp.snapshot(), pool),
      now: this.#clock.now(),
      maxAgeMs: this.#cfg.capacityMaxAge,
    };
  }

  #journalGateRefused(plan: MigrationPlan, gate: GateResult, actor: string, id: string | null): void {
    this.#journal.append({
      kind: 'migration.gate_refused',
      source: 'rollout',
      subject: plan.route,
      actor,
      data: { migration: id, ...gateFacts(plan, gate), plan, gate },
    });
  }

  #newJudge(state: MigrationState): StepJudge {
    const j = this.#cfg.judge;
    const settings: JudgeSettings = {
      maxErrorRatio: j.maxErrorRatio,
      hardMinFailures: j.hardMinFailures,
      consecutiveFailures: j.consecutiveFailures,
      noDataWindows: j.noDataWindows,
      // Bonferroni over the steps: the whole healthy migration's false-rollback chance stays within alpha.
      alpha: j.alpha / state.plan.steps.length,
      errorMargin: j.errorMargin,
      latencyMargin: j.latencyMargin,
      relativeLatencyMargin: j.relativeLatencyMargin,
      latencyThresholdMs: this.#routes.find((r) => r.name === state.plan.route)?.slo.latency.threshold ?? DEFAULT_LATENCY_THRESHOLD_MS,
      minSamples: 10,
      pools: { target: state.plan.to, source: state.plan.from },
    };
    return new StepJudge(settings, this.#slow);
  }

  #nextId(): string {
    const started = this.#journal.query({ kinds: ['migration.started'], limit: 10_000 });
    let max = 0;
    for (const e of started) max = Math.max(max, Number(e.data.migration) || 0);
    return String(max + 1);
  }

  #runtime(id: string, phases: readonly MigrationState['phase'][]): Runtime {
    const rt = this.#active.get(id);
    if (rt === undefined) {
      const state = this.#journal.getState(stateKey(id)) as MigrationState | undefined;
      if (state === undefined) throw notFound(id);
      throw invalidTransition(id, state.phase, phases);
    }
    if (!phases.includes(rt.state.phase)) throw invalidTransition(id, rt.state.phase, phases);
    return rt;
  }

  #viewOf(id: string): MigrationView | null {
    const rt = this.#active.get(id);
    const state = rt?.state ?? this.#ended.get(id) ?? (this.#journal.getState(stateKey(id)) as MigrationState | undefined);
    if (state === undefined) return null;
    return {
      ...state,
      split: splitFor(state.plan, state.targetPercent),
      gate: rt?.gate ?? null,
      judge: rt?.decisions.latestJudged() ?? null,
      stepEndsAt: state.phase === 'running' && state.stepIndex >= 0 ? state.stepStartedAt + state.plan.stepDurationMs : null,
    };
  }

  #retire(rt: Runtime): void {
    this.#active.delete(rt.state.id);
    this.#disarmFastCheck();
    this.#ended.set(rt.state.id, rt.state);
    if (this.#ended.size > ENDED_KEPT) this.#ended.delete(this.#ended.keys().next().value as string);
  }

  /** Runs state-machine work one piece at a time, in arrival order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.then(
      () => undefined,
      (err: unknown) => {
        if (!isExpected(err)) this.#log.error({ err }, 'migration controller step failed');
      },
    );
    return run;
  }
}

/** The newest judged window among decisions (oldest first). */
function lastJudged(decisions: readonly DecisionView[]): JudgeDecision | null {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const judge = decisions[i]?.judge;
    if (judge) return judge;
  }
  return null;
}

/** The headline figures of a gate verdict, flat, for the journal's summaries and postmortems. */
function gateFacts(plan: MigrationPlan, gate: GateResult) {
  return {
    route: plan.route,
    from: plan.from,
    to: plan.to,
    capacityRps: gate.capacityRps,
    requiredRps: Math.round(gate.projectedRps * gate.headroom * 1000) / 1000,
    projectedRps: gate.projectedRps,
    headroom: gate.headroom,
    /** Why it refused (or would have), one line per failed check. */
    refusals: gate.refusals.map((r) => r.message),
  };
}

/** Why a migration paused after its route went back to the source without it. */
function revertText(at: number): string {
  return `the data plane's dead-man guard reverted the route to the source at ${new Date(at).toISOString()}`;
}

/** A duration in seconds for messages (`2 s`, `1.5 s`). */
function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
