export {
  type ArrivalProcess,
  ArrivalSchedule,
  type ArrivalSlice,
  planDurationMs,
  planExpectedCount,
  planRateAt,
  type RatePlan,
  type RateSegment,
} from './arrival-schedule.ts';
export { type CapacityEvent, capacityEvent, postCapacityEvent } from './capacity-event.ts';
export {
  type CapacityProgress,
  type CapacityRequirement,
  type CapacityResult,
  type FindCapacityOptions,
  findCapacity,
} from './capacity-finder.ts';
export { CapacitySearch, type CapacitySearchOptions, type SearchPhase, type SearchStep, type TrialOutcome } from './capacity-search.ts';
export { EventLoopProbe, type GeneratorProbe, type GeneratorSample, IdleProbe } from './generator-probe.ts';
export { renderHtmlReport } from './html-report.ts';
export { createHttpSender, HTTP_SENDER_KINDS, type HttpSenderKind } from './http-sender.ts';
export type { IntervalReport } from './interval-report.ts';
export type { LoadCounts, TimelinePoint } from './load-aggregate.ts';
export type { GeneratorHealth, LoadResult, SaturationSignals } from './load-result.ts';
export { type LoadModel, type LoadProgress, type RunLoadOptions, runLoad } from './load-run.ts';
export { type LoadTargetInput, resolveLoadTarget } from './load-target.ts';
export { formatCapacityProgress, formatLoadProgress } from './progress-line.ts';
export { parseRateCurve, type RatePoint } from './rate-curve-file.ts';
export { constantPlan, parseSpike, type ReplayOptions, replayPlan, type SpikeSpec, stagesPlan, withSpike } from './rate-plan.ts';
export { RawHttpSender, type RawHttpSenderOptions, serializeRequest } from './raw-http-sender.ts';
export { parseScenario, RequestMix, type RequestSpec, type Scenario } from './request-mix.ts';
export type { InFlightRequest, RequestSender, SendErrorKind, SendSink } from './request-sender.ts';
export { parseSlo, type Slo } from './slo.ts';
export { type ChartOptions, type ChartSeries, lineChart } from './svg-line-chart.ts';
export { errorRatio, evaluateThresholds, parseThreshold, type Threshold, type ThresholdResult } from './threshold.ts';
export { dispersion, RateEvidence } from './rate-evidence.ts';
export { type DrainOptions, drainTarget } from './target-drain.ts';
export { type JudgeOptions, judgeTrial, type TrialRecord, type TrialVerdict } from './trial-verdict.ts';
export {
  binomialCdf,
  binomialUpperTail,
  clopperPearsonLower,
  clopperPearsonUpper,
  extrapolatedP99,
  minSamplesToPass,
  percentileVerdict,
  wilsonUpper,
} from './verdict-statistics.ts';
