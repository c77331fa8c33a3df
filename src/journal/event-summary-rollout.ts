import type { EventDataOf } from './event-catalogue.ts';
import type { ROLLOUT_EVENTS } from './event-catalogue-rollout.ts';
import {
  count,
  duration,
  figure,
  isComponent,
  list,
  percent,
  plural,
  rate,
  type SummaryWriters,
  splitText,
  who,
  words,
} from './event-wording.ts';
import { formatTime } from './time-format.ts';

type Decision = EventDataOf<'migration.decision'>;
type Side = NonNullable<Decision['judge']>['target'];
type RelativeLatency = NonNullable<NonNullable<Decision['judge']>['relativeLatency']>[number];

/** Sentences for capacity results and the migration controller's record. */
export const ROLLOUT_SUMMARIES: SummaryWriters<keyof typeof ROLLOUT_EVENTS> = {
  'capacity.result': ({ data: d }) => {
    const objective =
      d.slo === undefined
        ? ' (no objective recorded)'
        : ` at p99 ≤ ${figure(d.slo.p99Ms)} ms with ≤ ${percent(d.slo.maxErrorRatio)} errors`;
    const trials = d.trials === undefined ? '' : ` (${plural(d.trials.length, 'trial')})`;
    const required =
      d.require === undefined
        ? ''
        : `; ${figure(d.require.factor)}× the ${rate(d.require.peakRps)} peak required: ${d.require.passed ? 'met' : 'not met'}`;
    return `${d.pool ?? d.target ?? 'the target'} certified for ${rate(d.capacityRps)}${objective}${trials}${required}`;
  },
  'migration.gate_refused': ({ actor, data: d }) => {
    // The gate refuses a person's request, or the controller's next step of a running migration.
    const what =
      d.migration !== null && isComponent(actor)
        ? `the next step of migration ${d.migration} of ${d.route} to ${d.to}`
        : `${possessive(actor)} migration of ${d.route} to ${d.to}`;
    return `capacity gate refused ${what}: ${gateWhy(d)}`;
  },
  'migration.gate_overridden': ({ data: d }) =>
    `${who(d.who)} overrode the capacity gate for migration ${d.migration} of ${d.route} to ${d.to} ("${d.reason}"), which said: ${gateWhy(d)}`,
  'migration.started': ({ actor, data: d }) => {
    const h = d.headroomOverride ?? null;
    const headroom = h === null ? '' : `, with headroom ${figure(h.headroom)}× instead of ${figure(h.configured)}× ("${h.reason}")`;
    return `${who(actor)} started migration ${d.migration} of ${d.route} from ${d.from} to ${d.to} in steps of ${list(d.plan.steps.map(String))} %${d.override === null ? '' : ', overriding the capacity gate'}${headroom}`;
  },
  'migration.step': ({ actor, data: d }) => {
    const name = `migration ${d.migration} of ${d.route}`;
    const over = d.overridden === true ? ', although the capacity gate refused it (overridden)' : '';
    switch (d.why) {
      case 'advance':
        return `${name} advanced to ${d.toPercent} % on ${d.to} (step ${d.stepIndex + 1})${over}`;
      case 'promote':
        return `${who(actor)} promoted ${name} to ${d.toPercent} % on ${d.to} (step ${d.stepIndex + 1})${over}`;
      case 'promote_all':
        return `${who(actor)} promoted ${name} all the way to ${d.toPercent} % on ${d.to}${over}`;
      case 'backoff':
        return `${name} backed off from ${d.fromPercent} % to ${d.toPercent} % on ${d.to}: the capacity gate no longer allows ${d.fromPercent} %`;
    }
  },
  'migration.decision': ({ data: d }) => decisionText(d),
  'migration.held': ({ data: d }) =>
    `migration ${d.migration} of ${d.route} held at ${d.targetPercent} % on ${d.to} (${words(d.reason)}): ${d.detail}`,
  'migration.paused': ({ actor, data: d }) =>
    `${isComponent(actor) ? `migration ${d.migration} of ${d.route} paused` : `${who(actor)} paused migration ${d.migration} of ${d.route}`} at ${d.targetPercent} % on ${d.to}: ${d.reason}`,
  'migration.resumed': ({ actor, data: d }) =>
    `${who(actor)} resumed migration ${d.migration} of ${d.route} at ${d.targetPercent} % on ${d.to}: ${d.reason}`,
  'migration.rolling_back': ({ data: d }) => {
    const how = d.staged ? `in stages (${list(d.stages.map((p) => `${p} %`))} on ${d.to})` : 'all at once';
    return `migration ${d.migration} of ${d.route} rolling back to ${d.from} ${how}: ${d.reason}`;
  },
  'migration.rollback_stage': ({ data: d }) =>
    `migration ${d.migration} of ${d.route} rolling back: ${d.toPercent} % left on ${d.to}${d.reason === undefined ? '' : ` (${d.reason})`}`,
  'migration.rolled_back': ({ data: d }) => {
    const since = d.firstFailureAt === null ? '' : `, ${duration(d.completedAt - d.firstFailureAt)} after the first failure`;
    return `migration ${d.migration} of ${d.route} rolled back: all traffic on ${d.from}${since} (${d.reason})`;
  },
  'migration.aborted': ({ data: d }) => `migration ${d.migration} of ${d.route} aborted; all traffic back on ${d.from} (${d.reason})`,
  'migration.completed': ({ data: d }) =>
    `migration ${d.migration} of ${d.route} completed: all traffic on ${d.to}, ${duration(d.durationMs)} after it started`,
  'migration.recovered': ({ data: d }) => {
    const recorded = splitText(d.recordedSplit);
    const origin = d.splitOrigin ?? null;
    const since = origin === null ? '' : ` since ${formatTime(origin.at)}`;
    const why =
      origin?.kind === 'config'
        ? ' (it restarted on its configured split)'
        : origin?.kind === 'dead-man'
          ? ' (its dead-man guard reverted the route)'
          : '';
    const observed =
      d.observedSplit === null
        ? 'the data plane does not have the route'
        : splitText(d.observedSplit) === recorded
          ? `the data plane agrees (${recorded})`
          : d.action === 'paused'
            ? `the data plane showed ${splitText(d.observedSplit)}${since}${why}: paused there`
            : `the data plane showed ${splitText(d.observedSplit)}${since}${why} and gets ${recorded} again`;
    const taker = d.restarted === 'data_plane' ? 'the controller' : 'the restarted controller';
    return `${taker} took up migration ${d.migration} of ${d.route} (${words(d.phase)} at ${d.targetPercent} % on ${d.to}); ${observed}`;
  },
};

/** `richard's`, or `an operator's` for the default actor. */
function possessive(actor: string): string {
  return `${who(actor)}'s`;
}

/** Why the gate refused: each failed check's sentence, else the two figures. */
function gateWhy(d: { refusals: string[]; capacityRps: number | null; requiredRps: number; to: string }): string {
  if (d.refusals.length > 0) return d.refusals.join('; ');
  return d.capacityRps === null
    ? `${d.to} has no capacity result`
    : `${d.to} is certified for ${rate(d.capacityRps)}, the move needs ${rate(d.requiredRps)}`;
}

const ACTIONS: Record<Decision['action'], string> = {
  none: '',
  rollback: '; rolling back',
  hold: '; holding the step',
  backoff: '; the capacity gate backs off a step',
};

/**
 * The judge's decision in words. Its counts are attempts the balancer sent to each pool upstream
 * (a retry counts again), not requests clients saw fail: the sentence says so.
 */
function decisionText(d: Decision): string {
  const at = `at ${d.targetPercent} % on the target`;
  if (d.judge !== null) {
    const j = d.judge;
    const verdict = j.verdict === 'rollback' ? 'roll back' : j.verdict;
    const why = j.reasons.length > 0 ? ` (${list(j.reasons.map(words))})` : '';
    const incomplete = j.incomplete === null ? '' : `; window incomplete: ${j.incomplete}`;
    const relative = relativeText(j.relativeLatency ?? []);
    return `judge: ${verdict}${why} ${at}; ${side('target', j.target)}; ${side('source', j.source)}${relative}${incomplete}${ACTIONS[d.action]}`;
  }
  if (d.fastPath !== undefined) {
    const f = d.fastPath;
    const connect = f.counts.connectFailures > 0 ? `, ${plural(f.counts.connectFailures, 'connection failure')}` : '';
    return `fast path: roll back (${list(f.rules.map(words))}) ${at}; target pool ${f.pool}: ${count(f.counts.failed)} of ${plural(f.counts.requests, 'attempt')} failed in the open window${connect}`;
  }
  return `decision on migration ${d.migration} ${at}: ${d.action === 'none' ? 'no change' : words(d.action)}`;
}

/**
 * The relative latency test in words: each percentile that rejected, else the first that compared
 * any request (the p90, as a rule), so a passing window still says how the target stands.
 */
function relativeText(tests: RelativeLatency[]): string {
  const compared = tests.filter((r) => r.targetSamples > 0 && r.sourceMs > 0);
  const shown = compared.some((r) => r.rejected) ? compared.filter((r) => r.rejected) : compared.slice(0, 1);
  return shown.map(relativeSentence).join('');
}

function relativeSentence(r: RelativeLatency): string {
  const reference = r.sourceMs < 1000 ? `${figure(r.sourceMs)} ms` : duration(r.sourceMs);
  const evidence = r.rejected ? ` (p ${r.pValue.toPrecision(2)} ≤ ${r.alpha.toPrecision(2)})` : '';
  // Spills are among the slower: the target turned them away, the source answered them.
  const refused = (r.targetRefused ?? 0) > 0 ? ` (${count(r.targetRefused ?? 0)} of them refused by its admission)` : '';
  return `; ${r.targetPool}: ${percent(r.share)} of ${plural(r.targetSamples, 'request')} slower than ${r.sourcePool}'s p${r.percentile} of ${reference}${refused}, tolerated ${percent(r.bound)}${evidence}`;
}

function side(name: string, s: Side): string {
  if (s.requests === 0) return `${name} pool: no attempts`;
  const errors = `${count(s.failed)} of ${plural(s.requests, 'attempt')} failed (${percent(s.errorRatio)})`;
  // Its refusals are among the failures though no client saw one: the other pool answered them.
  const spilled = (s.spilled ?? 0) > 0 ? `, ${count(s.spilled ?? 0)} of them refused by its admission and answered by the other pool` : '';
  return `${name} pool: ${errors}${spilled}, p99 ${duration(s.p99Ms)}`;
}
