export { type DemoPlan, demoPlan } from './demo-plan.ts';
export { type DemoFacts, SEED_2017, summaryRows } from './demo-summary.ts';
export { Narrator, type NarratorStyle } from './narrator.ts';
export { ProcessGroup, type StartedProcess } from './process-group.ts';
export { type DemoOptions, type DemoOutcome, runDemo } from './run-demo.ts';
