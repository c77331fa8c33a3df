export { type DemoFacts, summaryRows } from './demo-summary.ts';
export { Narrator } from './narrator.ts';
export { runDemo } from './run-demo.ts';
export { demoErrors } from './demo-errors.ts';
