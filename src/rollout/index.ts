export {
  type CapacityCertificate,
  type CertifiedObjective,
  type CertifiedRequest,
  capacityCertificates,
} from './capacity-certificate.ts';
export { recordCapacityResult } from './capacity-record.ts';
export {
  evaluateGate,
  type GateInput,
  type GateReason,
  type GateResult,
  lastSafeStep,
  type ObservedTraffic,
  refusalText,
  sourceCanAbsorb,
} from './capacity-gate.ts';
export {
  type CertificateChoice,
  type CertificateRequirements,
  chooseCertificate,
  routeLimits,
  type SkippedCertificate,
} from './certificate-choice.ts';
export type { GateCheck, GateRefusal, RouteLimits } from './gate-refusal.ts';
export {
  BEFORE_ROLLBACK_MS,
  type DecisionAction,
  type DecisionRecord,
  type DecisionRecorded,
  type DecisionView,
  type FastPathCheck,
} from './decision-log.ts';
export { type ControllerHost, type ControllerHostOptions, runWhileLeader } from './controller-host.ts';
export { followerRefusal, type LeaderAnswer, type LeaderGate } from './leader-gate.ts';
export { leaderDataPlane } from './leader-data-plane.ts';
export type { RelativeLatencyResult } from './judge-relative-latency.ts';
export {
  type JudgeDecision,
  type JudgeReason,
  type JudgeSettings,
  type SideFigures,
  type SlowCounter,
  StepJudge,
  type Verdict,
} from './judge.ts';
export {
  MigrationController,
  type MigrationControllerOptions,
  type MigrationDetail,
  type MigrationView,
  type RolloutJournal,
} from './migration-controller.ts';
export { EVIDENCE_SHOWN, type GateEvaluation, type GateOccasion, type MigrationEvidence } from './migration-evidence.ts';
export { planMigration, type StartMigrationRequest } from './migration-plan.ts';
export { type MemberBackend, type PoolMembership, poolMembership } from './pool-membership.ts';
export { ACTIVE_PHASES, type MigrationPhase, type MigrationPlan, type MigrationState, splitFor } from './migration-state.ts';
export { Msprt, type MsprtOptions, type MsprtResult } from './msprt.ts';
export {
  createRolloutApi,
  type GateRefusalAnswer,
  type MigrationList,
  type NotLeaderAnswer,
  type RolloutApiOptions,
} from './rollout-api.ts';
export { RolloutClient, type StartMigrationBody } from './rollout-client.ts';
export { histogramSlowCounter } from './slow-requests.ts';
export { type SyntheticTraffic, syntheticWindow } from './synthetic-window.ts';
