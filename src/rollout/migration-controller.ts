import type { DataPlane, RouteState } from '../data-plane/index.ts';
import type { MigrationConfig, RouteConfig } from '../config/index.ts';
import { type Clock, type Logger, PiperError, silentLogger, type TimerHandle } from '../core/index.ts';
import type { Journal } from '../journal/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { GateResult } from './capacity-gate.ts';
import { DecisionLog } from './decision-log.ts';
import { type JudgeSettings, type SlowCounter, StepJudge } from './judge.ts';
import { COMMAND_PHASES, decide, hardRulesOf } from './migration-decision.ts';
import { readEvidence } from './migration-evidence.ts';
import type { Command, Effect, MigrationInput, Transition } from './migration-input.ts';
import { MigrationMeter } from './migration-meter.ts';
import { RecentLatency } from './recent-latency.ts';
import { planMigration, type StartMigrationRequest } from './migration-plan.ts';
import { gateOverriddenEvent, gateRefusedEvent, recoveredEvent, transitionEvent } from './migration-records.ts';
import { fromRow, toRow } from './migration-row.ts';
import { ACTIVE_PHASES, type MigrationState, sameShares, STATE_PREFIX, splitFor, stateKey } from './migration-state.ts';
import { ACTOR, begin, finishRollback, SAFETY_KINDS } from './migration-transitions.ts';
import { detailOf, type MigrationDetail, type MigrationView, viewOf } from './migration-view.ts';
import { gateRefused, invalidTransition, isExpected, notFound, rolloutErrors } from './rollout-errors.ts';
import { histogramSlowCounter } from './slow-requests.ts';

/** The part of the journal the controller uses. */
export type RolloutJournal = Pick<Journal, 'append' | 'appendWithState' | 'getState' | 'listState' | 'query' | 'samples' | 'lastId'>;

export type { MigrationDetail, MigrationView } from './migration-view.ts';

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

/** One active migration: its journaled state and the evidence gathered for its decisions. */
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
/**
 * How often the open window is checked for a hard failure (the fast path), when the data plane
 * offers it. A stalled target must be off the route within 0.5 s (issue 24): at 250 ms the wait
 * for the next look alone took half of that.
 */
const FAST_CHECK_MS = 100;
/** Ended migrations whose last state is kept in memory. */
const ENDED_KEPT = 30;
const DEFAULT_LATENCY_THRESHOLD_MS = 500;

/**
 * The migration controller: moves a route from one pool to another in steps, gated by measured
 * capacity, judged every window, rolled back on its own. It is the driver of the state machine in
 * `decide` (migration-decision.ts): three clocks (the window stream, the 1 s tick, the 100 ms look
 * at the open window) and the operator's commands become inputs, one at a time, and it runs the
 * effects each decision returns, in order. Two properties hold here:
 *
 * - **Journal first.** Each transition is one `appendWithState` (event and state row atomically)
 *   written BEFORE the data plane is told; a forward transition the journal refuses stops the
 *   decision there, so after kill -9 the restarted controller re-applies the recorded split
 *   (idempotent) instead of repeating or losing a transition.
 * - **Safety never waits.** A transition back to the source (`SAFETY_KINDS`) goes ahead when the
 *   journal cannot record it.
 */
export class MigrationController {
  readonly #dp: DataPlane;
  readonly #journal: RolloutJournal;
  readonly #clock: Clock;
  readonly #cfg: MigrationConfig;
  readonly #routes: readonly RouteConfig[];
  readonly #log: Logger;
  readonly #slow: SlowCounter;
  readonly #meter: MigrationMeter;
  /** The pools' latencies of the last seconds, for a new step's relative-latency reference. */
  readonly #recent = new RecentLatency();
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
    this.#meter = new MigrationMeter({
      dataPlane: this.#dp,
      journal: this.#journal,
      migration: this.#cfg,
      routes: this.#routes,
      logger: this.#log,
    });
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
    return this.#storedAll()
      .reverse()
      .map((stored) => this.#viewOf(stored.id, stored) as MigrationView);
  }

  /** One migration with its evidence from the journal, or PIPER_ROLLOUT_NOT_FOUND. */
  get(id: string): MigrationDetail {
    const view = this.#viewOf(id);
    if (view === null) throw notFound(id);
    return detailOf(view, readEvidence(this.#journal, view), this.#active.get(id)?.decisions.unjournaled() ?? []);
  }

  pause(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#command(id, { kind: 'pause', actor, reason });
  }

  resume(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#command(id, { kind: 'resume', actor, reason });
  }

  /** Moves to the next step now, or (`all`) straight to 100 % and completion; the gate still applies unless overridden. */
  promote(id: string, all: boolean, actor: string): Promise<MigrationDetail> {
    return this.#command(id, { kind: 'promote', actor, all });
  }

  /** Rolls back now (staged when the source cannot absorb the route at once). */
  abort(id: string, actor: string, reason: string): Promise<MigrationDetail> {
    return this.#command(id, { kind: 'abort', actor, reason });
  }

  /**
   * Resolves once every input that has arrived (a window the data plane delivered, a timer that
   * fired, a command) is handled and its effects have run: what a test waits on instead of
   * counting event-loop turns. A window or timer delivered while waiting is waited for too.
   */
  async idle(): Promise<void> {
    for (;;) {
      const queued = this.#queue;
      await queued;
      // One turn of the event loop lets a window already pushed reach the queue.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#queue === queued) return;
    }
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

  // ── inputs ──────────────────────────────────────────────────────────────

  async #start(req: StartMigrationRequest): Promise<MigrationDetail> {
    for (const rt of this.#active.values()) {
      if (rt.state.plan.route === req.route) {
        throw new PiperError(
          rolloutErrors.PIPER_ROLLOUT_ALREADY_ACTIVE,
          `route "${req.route}" already has migration ${rt.state.id} (${rt.state.phase})`,
          {
            details: { migration: rt.state.id },
          },
        );
      }
    }
    const plan = planMigration(req, this.#dp.snapshot(), this.#cfg);
    const actor = req.actor ?? 'operator';
    const now = this.#clock.now();
    const measured = this.#meter.measure(plan, now);
    // The whole plan must fit: the last step (100 %) puts all of the route's peak on the target.
    const gate = measured.gates.at(-1) as GateResult;
    const id = this.#nextId();
    let override: MigrationState['override'] = null;
    if (!gate.passed) {
      if (req.overrideCapacityGate === undefined || req.overrideCapacityGate.trim() === '') {
        this.#journal.append(gateRefusedEvent(plan, gate, actor, null));
        throw gateRefused(plan, gate);
      }
      override = { reason: req.overrideCapacityGate, actor, at: now };
      this.#journal.append(gateOverriddenEvent(plan, gate, actor, id, req.overrideCapacityGate));
    }
    const headroomOverride =
      plan.headroom < this.#cfg.headroom
        ? { reason: (req.overrideHeadroom ?? '').trim(), actor, at: now, configured: this.#cfg.headroom, headroom: plan.headroom }
        : null;
    const started = begin({ id, plan, actor, now, gate, override, headroomOverride });
    const rt = this.#runtimeFor(started.next, gate, now);
    this.#active.set(id, rt);
    this.#armFastCheck();
    await this.#run(rt, started.effects);
    await this.#feed(rt, { kind: 'start', now, actor, measured });
    return this.get(id);
  }

  /** An operator's command, in turn with the clocks' inputs. */
  #command(id: string, command: Command): Promise<MigrationDetail> {
    return this.#serial(async () => {
      const rt = this.#active.get(id);
      if (rt === undefined) {
        const state = this.#stored(id);
        if (state === undefined) throw notFound(id);
        throw invalidTransition(id, state.phase, COMMAND_PHASES[command.kind]);
      }
      const now = this.#clock.now();
      await this.#feed(rt, { kind: 'command', now, command, measured: this.#meter.measure(rt.state.plan, now) });
      return this.get(id);
    });
  }

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
    this.#meter.add(w);
    this.#recent.add(w);
    for (const rt of this.#active.values()) {
      void this.#serial(() => this.#judgeWindow(rt, w, gap));
    }
  }

  /** Judges the window for the migration's step, then lets the decision act on the verdict. */
  async #judgeWindow(rt: Runtime, w: TelemetryWindow, gap: string | null): Promise<void> {
    const s = rt.state;
    if (!this.#drives(rt)) return;
    const { route, from, to } = s.plan;
    const routeRequests = w.routes[route]?.requests ?? 0;
    const expectTarget = s.targetPercent > 0 && routeRequests > 0 && w.start >= s.stepStartedAt;
    const lacking = [
      ...(w.complete === false ? [w.incompleteReason ?? 'the data plane could not count every request of this window'] : []),
      ...(gap === null ? [] : [gap]),
    ];
    const incomplete = lacking.length > 0 ? lacking.join('; ') : null;
    if (incomplete !== null) rt.incompleteUntil = Math.max(rt.incompleteUntil, w.start + w.durationMs);
    const judge = rt.judge.observe(w.start, w.pools[to], w.pools[from], expectTarget, incomplete);
    // The window's own first-failure time is exact; its start (up to a window early) only stands in for old data planes.
    if (judge.target.failed > 0) rt.failureSince ??= w.pools[to]?.firstFailureAt ?? w.start;
    else if (judge.verdict === 'pass') rt.failureSince = null;
    const now = this.#clock.now();
    await this.#feed(rt, {
      kind: 'window_closed',
      now,
      windowStart: w.start,
      incomplete,
      judge,
      failureSince: rt.failureSince,
      measured: this.#meter.measure(s.plan, now),
    });
  }

  #onTick(): void {
    if (this.#closed) return;
    for (const rt of this.#active.values()) {
      // Heartbeats go out from the timer, not the queue, so a slow data-plane call cannot starve them.
      this.#dp.heartbeat(rt.state.plan.route);
      void this.#serial(() => this.#progress(rt));
    }
  }

  async #progress(rt: Runtime): Promise<void> {
    if (!this.#drives(rt)) return;
    const s = rt.state;
    const now = this.#clock.now();
    if (rt.needsApply) await this.#apply(rt, `migration ${s.id}: retrying the recorded split`);
    const lost = this.#lostSplit(rt);
    if (lost?.splitOrigin.kind === 'dead-man') {
      return this.#feed(rt, { kind: 'split_reverted', now, revertedAt: lost.splitOrigin.at, whileAway: false });
    }
    if (lost?.splitOrigin.kind === 'config') return this.#feed(rt, { kind: 'split_reset', now, route: lost });
    await this.#feed(rt, {
      kind: 'tick',
      now,
      lastWindowAt: this.#lastWindowAt,
      lastWindowEnd: this.#lastWindowEnd,
      incompleteUntil: rt.incompleteUntil,
      latestVerdict: rt.decisions.latest()?.verdict ?? null,
      targetRequests: rt.judge.targetRequests,
      measured: this.#meter.measure(s.plan, now),
    });
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

  // ── the fast path: hard failures in the open window ─────────────────────

  /** Starts the 100 ms check of the open window while any migration is active (when the data plane offers one). */
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
   * takes about the time to see `hardMinFailures` failures plus ≤ 100 ms, instead of up to a window more.
   * Only a poll that sees one queues an input; the decision looks again when its turn comes.
   */
  #onFastCheck(): void {
    if (this.#closed) return;
    let open: ReturnType<NonNullable<DataPlane['inProgress']>> | undefined;
    try {
      open = this.#dp.inProgress?.();
    } catch (err) {
      this.#log.warn({ err }, 'reading the open telemetry window failed');
      return;
    }
    if (open === undefined) return;
    for (const rt of this.#active.values()) {
      const s = rt.state;
      const counts = open.pools[s.plan.to];
      if (rt.fastPending || counts === undefined || hardRulesOf(counts, this.#cfg).length === 0) continue;
      rt.fastPending = true;
      const windowStart = open.start;
      void this.#serial(async () => {
        try {
          // The queue may have run a closed-window rollback (or a step) first: the decision acts only if still due.
          if (!this.#drives(rt)) return;
          const now = this.#clock.now();
          const measured = this.#meter.measure(rt.state.plan, now);
          const before = rt.state.seq;
          await this.#feed(rt, { kind: 'open_window', now, windowStart, counts, failureSince: rt.failureSince, measured });
          if (rt.state.seq !== before) {
            this.#log.warn(
              { migration: s.id, route: s.plan.route, pool: s.plan.to, counts, windowStart },
              'hard failure in the open window',
            );
          }
        } finally {
          rt.fastPending = false;
        }
      });
    }
  }

  // ── the driver: decisions and their effects ─────────────────────────────

  /** Decides on one input and runs what it decided. */
  #feed(rt: Runtime, input: MigrationInput): Promise<void> {
    return this.#run(rt, decide(rt.state, input, this.#cfg).effects);
  }

  /**
   * Runs a decision's effects in order. A transition is journaled before anything after it runs,
   * so a `set_split` only ever tells the data plane a state the journal holds (or one that moves
   * traffic back to safety, which goes ahead without a record).
   */
  async #run(rt: Runtime, effects: readonly Effect[]): Promise<void> {
    for (const e of effects) {
      switch (e.kind) {
        case 'transition':
          this.#commit(rt, e);
          break;
        case 'set_split':
          await this.#apply(rt, e.reason);
          break;
        case 'gate_refused':
          this.#journal.append(gateRefusedEvent(rt.state.plan, e.gate, e.actor, e.migration));
          break;
        case 'gate_seen':
          rt.gate = e.gate;
          break;
        case 'record':
          rt.decisions.add(e.record);
          break;
        case 'step_ended':
          rt.decisions.stepEnded(e.stepIndex);
          break;
        case 'fresh_evidence':
          rt.judge = this.#newJudge(rt.state);
          if (e.scope === 'step') {
            rt.failureSince = null;
            rt.incompleteUntil = 0;
          }
          break;
        case 'before_rollback':
          rt.decisions.beforeRollback(e.at);
          break;
        case 'recovered':
          this.#journalRecovered(rt.state, e.route, 'data_plane', 'reapplied');
          break;
        case 'retire':
          this.#retire(rt);
          break;
        case 'refuse':
          throw e.refusal.reason === 'gate'
            ? gateRefused(rt.state.plan, e.refusal.gate)
            : invalidTransition(rt.state.id, rt.state.phase, e.refusal.allowed);
      }
    }
  }

  /**
   * Journals a transition atomically with the new state; the only writer of state rows. A forward
   * transition the journal refuses throws, so nothing after it in the decision runs (the data plane
   * is never told a step the journal does not hold); a safety transition goes ahead unrecorded.
   */
  #commit(rt: Runtime, t: Transition): void {
    try {
      this.#journal.appendWithState(transitionEvent(t), stateKey(t.state.id), toRow(t.state));
    } catch (err) {
      if (!SAFETY_KINDS.has(t.event)) throw err;
      this.#log.error({ err, migration: t.state.id, kind: t.event }, 'journal write failed; rolling back anyway');
    }
    rt.state = t.state;
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

  // ── recovery after a restart ────────────────────────────────────────────

  async #recover(): Promise<void> {
    const snap = this.#dp.snapshot();
    for (const state of this.#storedAll()) {
      if (!ACTIVE_PHASES.includes(state.phase)) continue;
      const now = this.#clock.now();
      const rt = this.#runtimeFor(state, null, 0);
      this.#active.set(state.id, rt);
      this.#armFastCheck();
      const route = snap.routes.find((r) => r.name === state.plan.route);
      const finishes =
        state.phase === 'rolling_back' && state.rollback !== null && state.rollback.stages.length === 0 && state.targetPercent === 0;
      if (route !== undefined && revertedWhileAway(route, state)) {
        this.#journalRecovered(state, route, 'controller', 'paused');
        await this.#feed(rt, { kind: 'split_reverted', now, revertedAt: route.splitOrigin.at, whileAway: true });
        continue;
      }
      this.#journalRecovered(state, route ?? null, 'controller', finishes ? 'finished_rollback' : 'reapplied');
      // Same split or not, re-apply: it re-arms the dead-man guard, and setSplit is idempotent. A data
      // plane that restarted too (on its config's split) gets the recorded step back: it resumes.
      await this.#apply(rt, `migration ${state.id}: controller restarted, re-applying the recorded split`);
      if (finishes) await this.#run(rt, finishRollback(rt.state, this.#clock.now()).effects);
    }
  }

  /** Journals what the controller found on the data plane against the journal's state, and what it does about it. */
  #journalRecovered(...args: Parameters<typeof recoveredEvent>): void {
    const [state, route, restarted, action] = args;
    this.#journal.append(recoveredEvent(...args));
    this.#log.info(
      { migration: state.id, phase: state.phase, targetPercent: state.targetPercent, splitOrigin: route?.splitOrigin, restarted, action },
      'migration recovered',
    );
  }

  // ── the migrations this controller drives ──────────────────────────────

  #runtimeFor(state: MigrationState, gate: GateResult | null, lastAppliedAt: number): Runtime {
    return {
      state,
      judge: this.#newJudge(state),
      gate,
      decisions: new DecisionLog(this.#journal, { id: state.id, route: state.plan.route }, this.#log),
      failureSince: null,
      fastPending: false,
      lastAppliedAt,
      needsApply: false,
      incompleteUntil: 0,
    };
  }

  /** True while this controller drives the migration: it is active and `rt` is its runtime. */
  #drives(rt: Runtime): boolean {
    return this.#active.get(rt.state.id) === rt && ACTIVE_PHASES.includes(rt.state.phase);
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
    return new StepJudge(settings, this.#slow, this.#recent.of(state.plan.from));
  }

  /** One more than the highest id among the journal's state rows (one per migration ever started). */
  #nextId(): string {
    let max = 0;
    for (const { key } of this.#journal.listState(STATE_PREFIX)) max = Math.max(max, Number(key.slice(STATE_PREFIX.length)) || 0);
    return String(max + 1);
  }

  /** The migration as this controller knows it (running it, or it just ended), else as `stored` or the journal holds it. */
  #viewOf(id: string, stored?: MigrationState): MigrationView | null {
    const rt = this.#active.get(id);
    const state = rt?.state ?? this.#ended.get(id) ?? stored ?? this.#stored(id);
    if (state === undefined) return null;
    return viewOf(state, rt === undefined ? null : { gate: rt.gate, judge: rt.decisions.latestJudged() });
  }

  /** The migration's state as the journal holds it (PIPER_ROLLOUT_STATE_UNREADABLE for a row it cannot read). */
  #stored(id: string): MigrationState | undefined {
    const row = this.#journal.getState(stateKey(id));
    return row === undefined ? undefined : fromRow(stateKey(id), row);
  }

  /** Every migration's state the journal holds, oldest first. */
  #storedAll(): MigrationState[] {
    return this.#journal
      .listState(STATE_PREFIX)
      .map((row) => fromRow(row.key, row.value))
      .sort((a, b) => Number(a.id) - Number(b.id) || a.createdAt - b.createdAt);
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

/**
 * The dead-man guard put the route back on the source while no controller ran. A data plane
 * that restarted shows the same split with no guard, but says it came from its config.
 */
function revertedWhileAway(route: RouteState, state: MigrationState): boolean {
  return (
    state.phase !== 'rolling_back' &&
    state.targetPercent > 0 &&
    route.splitOrigin.kind === 'dead-man' &&
    !sameShares(route.split, splitFor(state.plan, state.targetPercent))
  );
}

/** A duration in seconds for messages (`2 s`, `1.5 s`). */
function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
